/** The limits every side checks: the API, its CLI and configuration, and the web app before it sends. */

/** The floor of `PASSWORD_MIN_LENGTH`: no configuration may accept a shorter password. */
export const MIN_PASSWORD_CHARACTERS = 8;
/**
 * The ceiling of `PASSWORD_MIN_LENGTH`: 64 one-byte characters still fit bcrypt's 72 bytes,
 * so a configured minimum can always be met.
 */
export const MAX_PASSWORD_MIN_LENGTH = 64;
/** bcrypt's input limit, in UTF-8 bytes; equal to `MAX_PASSWORD_BYTES` of @app/auth (a test holds them together). */
export const MAX_PASSWORD_UTF8_BYTES = 72;
/** RFC 5321's path limit less the angle brackets. */
export const MAX_EMAIL_LENGTH = 254;
export const MAX_FULL_NAME_LENGTH = 255;
