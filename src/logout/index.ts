// Single logout by OpenID Connect Back-Channel Logout 1.0: a queue of
// deliveries in the database and a worker that sends them with retries.
export { startBackchannelLogout, type BackchannelLogout, type BackchannelLogoutParts } from './backchannel-logout.js';
export { endExpiredSessionsWithLogout, type LogoutHousekeepingCounts } from './housekeeping.js';
export { enqueueLogoutForEndedSessions, enqueueLogoutForSessions, type EndedSessions } from './sessions.js';
export type { LogoutReason, LogoutRequest, LogoutTarget, LogoutTokenIssuer } from './types.js';
