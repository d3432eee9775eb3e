// Text shown by the demo relying party, in Russian (default) and English.
// TODO: move these keys into the shared catalogues in src/i18n/catalogues.
// They stay here until those catalogues get a `demo_rp.` section.
import type { Locale } from '../../i18n/locales.js';

export type Language = Locale;

const ru = {
  demoBadge: 'Демонстрационный сервис',
  indexTitle: 'Демонстрационные сервисы Пропуска',
  indexIntro:
    'Каждый сервис — отдельный клиент OpenID Connect. После входа в один из них остальные открываются без пароля.',
  signIn: 'Войти через Пропуск',
  signedOut: 'Вы не вошли в этот сервис.',
  name: 'Имя',
  activeRole: 'Текущая роль',
  allRoles: 'Все роли',
  noRoles: 'Пропуск не передал роли.',
  idTokenClaims: 'Утверждения (claims) ID-токена',
  switchRole: 'Сменить роль',
  refreshTokens: 'Обновить токены',
  signOut: 'Выйти',
  otherServices: 'Другие сервисы',
  tokensRefreshed: 'Токены обновлены.',
  accessTokenExpiresAt: 'Access-токен действует до',
  moscowTime: 'МСК',
  noRefreshToken: 'Пропуск не выдал refresh-токен, поэтому обновлять нечего.',
  errorTitle: 'Ошибка',
  errorCode: 'Код ошибки',
  errorDescription: 'Описание от Пропуска',
  backToService: 'Вернуться на главную страницу сервиса',
  backToIndex: 'К списку сервисов',
  accessDenied: 'Вход отменён или доступ запрещён.',
  loginNotStarted: 'Вход не был начат или устарел. Начните вход заново.',
  invalidResponse: 'Ответ Пропуска не прошёл проверку, вход не выполнен.',
  providerUnavailable: 'Пропуск сейчас недоступен. Повторите попытку позже.',
  loginFailed: 'Пропуск вернул ошибку, вход не выполнен.',
  refreshFailed: 'Не удалось обновить токены. Войдите заново.',
  refreshUnavailable: 'Пропуск временно недоступен. Токены сохранены, попробуйте обновить их позже.',
  csrfRejected: 'Форма устарела. Обновите страницу и повторите действие.',
  notFound: 'Страница не найдена.',
  badRequest: 'Некорректный запрос.',
  internalError: 'Внутренняя ошибка демонстрационного сервиса.',
};

export type Messages = Record<keyof typeof ru, string>;

const en: Messages = {
  demoBadge: 'Demo service',
  indexTitle: 'Propusk demo services',
  indexIntro:
    'Each service is a separate OpenID Connect client. After you sign in to one of them, the others open without a password.',
  signIn: 'Sign in with Propusk',
  signedOut: 'You are not signed in to this service.',
  name: 'Name',
  activeRole: 'Active role',
  allRoles: 'All roles',
  noRoles: 'Propusk sent no roles.',
  idTokenClaims: 'ID token claims',
  switchRole: 'Switch role',
  refreshTokens: 'Refresh tokens',
  signOut: 'Sign out',
  otherServices: 'Other services',
  tokensRefreshed: 'Tokens refreshed.',
  accessTokenExpiresAt: 'The access token is valid until',
  moscowTime: 'MSK',
  noRefreshToken: 'Propusk issued no refresh token, so there is nothing to refresh.',
  errorTitle: 'Error',
  errorCode: 'Error code',
  errorDescription: 'Description from Propusk',
  backToService: 'Back to the service home page',
  backToIndex: 'To the list of services',
  accessDenied: 'Sign-in was cancelled or access was denied.',
  loginNotStarted: 'No sign-in was started, or it has expired. Start signing in again.',
  invalidResponse: 'The response from Propusk failed validation, so you are not signed in.',
  providerUnavailable: 'Propusk is unavailable right now. Try again later.',
  loginFailed: 'Propusk returned an error, so you are not signed in.',
  refreshFailed: 'Failed to refresh the tokens. Sign in again.',
  refreshUnavailable: 'Propusk is temporarily unavailable. The tokens are kept; try to refresh them later.',
  csrfRejected: 'The form has expired. Reload the page and try again.',
  notFound: 'Page not found.',
  badRequest: 'Invalid request.',
  internalError: 'Internal error in the demo service.',
};

const catalogues: Record<Language, Messages> = { ru, en };

export function messagesFor(language: Language): Messages {
  return catalogues[language];
}
