/**
 * The token defaults, in a module that imports nothing, so the api's configuration (which a cluster
 * primary loads without any of the token code) takes its defaults from here instead of restating them.
 */

/** 15 minutes: clients renew with a refresh token, so a stolen access token is short-lived. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/** How far past `exp` (and before `iat`/`nbf`) a token is still accepted, for clock differences. */
export const DEFAULT_LEEWAY_SECONDS = 5;
