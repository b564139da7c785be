/**
 * How a run names a dataset imported from the user's disk: "user:" and the first hex digits of the dataset's
 * fingerprint. The images stay in this browser; a configuration or a link carries only this id (and, in a link, the
 * dataset's name), so another browser can tell the user which folder to import.
 */

export type UserDatasetId = `user:${string}`;

/** 16 hex digits (64 bits) tell any two datasets apart and keep ids short enough for a link. */
const USER_ID_FINGERPRINT_DIGITS = 16;
/** Accepted ids: at least 8 and at most 64 (a whole SHA-256) lower-case hex digits, nothing else. */
export const USER_DATASET_ID_PATTERN = /^user:[0-9a-f]{8,64}$/;

export function isUserDatasetId(id: string): id is UserDatasetId {
  return USER_DATASET_ID_PATTERN.test(id);
}

export function userDatasetId(fingerprint: string): UserDatasetId {
  return `user:${fingerprint.slice(0, USER_ID_FINGERPRINT_DIGITS)}`;
}

export function fingerprintPrefixOf(id: UserDatasetId): string {
  return id.slice('user:'.length);
}
