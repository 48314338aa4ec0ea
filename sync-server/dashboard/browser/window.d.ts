/**
 * What the dashboard pages put on `window`: counters of the redraws (the Chromium tests wait on
 * them) and the content editor's state (the tests read the manifest being edited).
 */
interface Window {
  gcApplied: number;
  gcAlertUpdates: number;
  gcKeysRendered: number;
  gcUsersRendered: number;
  gcAuditPages: number;
  gcContent: unknown;
}
