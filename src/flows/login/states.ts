/**
 * The login flow as a state machine. oidc-provider stores the flow (its
 * interaction record has the id, expiry and resume point); this table states
 * which page follows which event, and the route handlers go through it so
 * that no step can be skipped.
 */
export type LoginState = 'credentials' | 'role' | 'unavailable' | 'consent' | 'returned';

export type LoginEvent =
  | 'credentials_rejected'
  | 'credentials_accepted'
  | 'role_decided'
  | 'role_needs_choice'
  | 'role_chosen'
  | 'no_accepted_role'
  | 'back_to_service'
  | 'grant_covered';

export const LOGIN_TRANSITIONS: Record<LoginState, Partial<Record<LoginEvent, LoginState>>> = {
  credentials: { credentials_rejected: 'credentials', credentials_accepted: 'returned' },
  role: { role_decided: 'returned', role_needs_choice: 'role', role_chosen: 'returned', no_accepted_role: 'unavailable' },
  unavailable: { back_to_service: 'returned' },
  consent: { grant_covered: 'returned' },
  returned: {},
};

export class IllegalTransitionError extends Error {
  constructor(state: LoginState, event: LoginEvent) {
    super(`Login flow: event ${event} is not allowed in state ${state}`);
  }
}

export function transition(state: LoginState, event: LoginEvent): LoginState {
  const next = LOGIN_TRANSITIONS[state][event];
  if (next === undefined) {
    throw new IllegalTransitionError(state, event);
  }
  return next;
}
