import { coded, ProblemsError } from '../../protocol/errors.js';
import { isDashboardLanguage } from '../dashboard/language.js';
import { accountsTexts } from './texts.js';

/** Wrong username or password, or a disabled account: deliberately not saying which. */
export class AuthFailedError extends coded('AUTH_FAILED') {}
export const isAuthFailedError = (e: unknown): e is AuthFailedError => e instanceof AuthFailedError;

export class RateLimitedError extends coded('AUTH_RATE_LIMITED') {
  constructor(readonly retryAfterMs: number) {
    super(`too many login attempts; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
  }
  /** Said in the sign-in page's language (the wait also goes in Retry-After for clients). */
  messageIn(lang: string): string | undefined {
    const seconds = Math.max(1, Math.ceil(this.retryAfterMs / 1000));
    return isDashboardLanguage(lang) ? accountsTexts.text(lang, 'login.rateLimited', { seconds }) : undefined;
  }
}
export const isRateLimitedError = (e: unknown): e is RateLimitedError => e instanceof RateLimitedError;

export class AccountInputError extends coded('ACCOUNT_INVALID', ProblemsError) {}

export class UserExistsError extends coded('USER_EXISTS') {}

export class UserNotFoundError extends coded('USER_NOT_FOUND') {}

/** The change would leave no active admin. */
export class LastAdminError extends coded('LAST_ADMIN') {}

/** `gatecast admin create` on a database that already has an admin. */
export class AdminExistsError extends coded('ADMIN_EXISTS') {}

export class AccountStoreError extends coded('ACCOUNT_STORE_FAILED') {}

/** A key id registered to another account (one account per key: one person, one approval). */
export class KeyRegisteredError extends coded('KEY_REGISTERED_TO_ANOTHER_ACCOUNT') {}

export class KeyNotFoundError extends coded('KEY_NOT_FOUND') {}
