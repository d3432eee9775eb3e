/** Address of the password change form, linked from the home page. */
export const PASSWORD_CHANGE_PATH = '/password';

/** Address of the page shown after a successful change (the form posts, then redirects here). */
export const PASSWORD_CHANGED_PATH = '/password/changed';
