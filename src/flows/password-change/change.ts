import type { MessageKey } from '../../i18n/catalogues/ru.js';
import type { PasswordHasher } from '../../identity/password/hash.js';
import { checkPassword, type PasswordContext } from '../../identity/password/policy.js';
import type { Person } from '../../storage/types.js';

/** Maximum length read from a password field, in UTF-16 units. The policy allows 256 code points, so a longer input is rejected unread. */
export const MAX_PASSWORD_INPUT_LENGTH = 1024;

export interface PasswordChangeForm {
  current: string;
  next: string;
  repeat: string;
}

export type PasswordChangeDecision =
  | { outcome: 'rejected'; status: 400 | 401; errors: MessageKey[] }
  | { outcome: 'accepted'; passwordHash: string };

/** Problems that need no password verification: empty fields and a repetition that differs. */
function formProblems(person: Person, form: PasswordChangeForm): MessageKey[] {
  const problems: MessageKey[] = [];
  if (person.passwordHash === null) {
    problems.push('password_change.error.no_password');
  }
  if (form.current === '') {
    problems.push('password_change.error.current_missing');
  }
  if (form.next === '') {
    problems.push('password_change.error.new_missing');
  } else if (form.next !== form.repeat) {
    problems.push('password_change.error.repeat_mismatch');
  }
  return problems;
}

/**
 * Decide a password change: the form must be complete, the current password
 * must verify against the stored argon2id hash, and the new one must pass
 * the policy and differ from the current one. The policy's verdict is shown
 * only after the current password verified, so the form reveals nothing
 * to someone who does not know it.
 *
 * Raises OverloadedError when the hasher rejects the current-password check.
 * The new password's hash then waits for the hasher, so a change whose
 * current password verified is not rejected halfway.
 */
export async function decidePasswordChange(
  passwords: PasswordHasher,
  person: Person,
  form: PasswordChangeForm,
  context: PasswordContext,
): Promise<PasswordChangeDecision> {
  const problems = formProblems(person, form);
  if (problems.length > 0 || person.passwordHash === null) {
    return { outcome: 'rejected', status: 400, errors: problems };
  }

  const verification =
    form.current.length > MAX_PASSWORD_INPUT_LENGTH ? { ok: false } : await passwords.verifyPassword(person.passwordHash, form.current);
  if (!verification.ok) {
    return { outcome: 'rejected', status: 401, errors: ['password_change.error.current_wrong'] };
  }

  if (form.next.length > MAX_PASSWORD_INPUT_LENGTH) {
    return { outcome: 'rejected', status: 400, errors: ['password.policy.too_long'] };
  }
  if (form.next.normalize('NFKC') === form.current.normalize('NFKC')) {
    return { outcome: 'rejected', status: 400, errors: ['password_change.error.same_as_current'] };
  }
  const check = checkPassword(form.next, context);
  if (!check.ok) {
    return { outcome: 'rejected', status: 400, errors: check.reasons };
  }
  return { outcome: 'accepted', passwordHash: await passwords.hashPassword(form.next, { admission: 'wait' }) };
}
