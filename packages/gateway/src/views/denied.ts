/**
 * A recently refused origin as the admin API and the console show it (GET /denied), and as the
 * workers send it to the primary to merge. Below `server/`, which records refusals, and `admin/`,
 * which shows them.
 */
export interface DeniedView {
  origin: string;
  reason: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  sampleMethod: string;
  samplePath: string;
}
