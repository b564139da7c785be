/**
 * Reproducible links: the experiment (and optionally its results) in the URL hash, `#v=1&s=…&r=…`. Each part is the
 * schema-encoded JSON, deflated (fflate, synchronous) and written in URL-safe base64 without padding.
 *
 * Versions: the number says how the payload is laid out. A change of layout adds a migration that rewrites the previous
 * version's raw JSON into the new one (LINK_MIGRATIONS), so every old link still decodes; additions that old links
 * simply lack need no migration, because a missing field takes its default.
 */
import { Inflate, deflateSync, strFromU8, strToU8 } from 'fflate';
import { DecodeReport, decodeWithSpec, describe, encodeWithSpec } from './schema';
import { RESULTS_SPEC, type SharedResults } from './results';
import { EXPERIMENT_SPEC, defaultExperimentState, type ExperimentState } from './state';

/** The raw JSON parts of a link, before validation. */
export interface LinkPayload {
  state: unknown;
  /** undefined when the link carries no results. */
  results: unknown;
}

/** Rewrites the raw payload of one version into the next; it must expect anything (it runs before validation). */
export type LinkMigration = (payload: LinkPayload) => LinkPayload;

/** LINK_MIGRATIONS[n - 1] upgrades version n to n + 1. Version 1 is the first released layout, so there are none yet. */
export const LINK_MIGRATIONS: readonly LinkMigration[] = [];
export const LINK_VERSION = 1 + LINK_MIGRATIONS.length;

/** Longest link accepted (characters of the hash); browsers and chat tools cope with this much. */
export const MAX_LINK_CHARS = 64 * 1024;
/** Most bytes one part may decompress to: a crafted deflate stream (a "zip bomb") stops here. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Upgrades a payload from `fromVersion` to the current layout. */
export function migratePayload(payload: LinkPayload, fromVersion: number, migrations = LINK_MIGRATIONS): LinkPayload {
  return migrations.slice(fromVersion - 1).reduce((upgraded, migrate) => migrate(upgraded), payload);
}

// ---------- packing ----------

function toBase64Url(bytes: Uint8Array): string {
  return btoa(strFromU8(bytes, true)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array | null {
  // A length of 4n + 1 cannot come from whole bytes.
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  try {
    return strToU8(atob(padded), true);
  } catch {
    return null;
  }
}

function pack(json: unknown): { packed: string; inflatedBytes: number } {
  const raw = strToU8(JSON.stringify(json));
  return { packed: toBase64Url(deflateSync(raw, { level: 9 })), inflatedBytes: raw.length };
}

/** Input is fed in slices so that no slice can expand past the cap by much before the cap is checked. */
const INFLATE_SLICE_BYTES = 256;

/** Inflates at most `cap` bytes; null when the output would be larger. Throws on a corrupt or truncated stream. */
function inflateCapped(compressed: Uint8Array, cap: number): Uint8Array | null {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    if (total <= cap) chunks.push(chunk);
  });
  for (let start = 0; start < compressed.length; start += INFLATE_SLICE_BYTES) {
    const end = start + INFLATE_SLICE_BYTES;
    inflater.push(compressed.subarray(start, end), end >= compressed.length);
    if (total > cap) return null;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

type Unpacked = { ok: true; json: unknown } | { ok: false; problem: string };

/** base64url → inflate (capped) → strict UTF-8 → JSON; a failure ends the sentence “The … in this link …”. */
function unpack(text: string): Unpacked {
  const compressed = fromBase64Url(text);
  if (compressed === null || compressed.length === 0) return { ok: false, problem: 'are not valid URL-safe base64' };
  let inflated: Uint8Array | null;
  try {
    inflated = inflateCapped(compressed, MAX_PAYLOAD_BYTES);
  } catch {
    return { ok: false, problem: 'are damaged or cut short (they do not decompress)' };
  }
  if (inflated === null) return { ok: false, problem: `decompress to more than ${MAX_PAYLOAD_BYTES / 1024} KiB` };
  try {
    return { ok: true, json: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(inflated)) };
  } catch {
    return { ok: false, problem: 'are damaged (they are not valid JSON text)' };
  }
}

// ---------- encoding ----------

/**
 * The URL hash (with its leading '#') that reproduces the experiment and, when given, carries its results.
 * Throws a RangeError when the link would be longer than decoding accepts (too many runs with long curves).
 */
export function encodeExperimentLink(state: ExperimentState, results?: SharedResults | null): string {
  const parts = [pack(encodeWithSpec(EXPERIMENT_SPEC, state))];
  if (results) parts.push(pack(encodeWithSpec(RESULTS_SPEC, results)));
  const [settings, measured] = parts;
  const hash = `#v=${LINK_VERSION}&s=${settings!.packed}${measured ? `&r=${measured.packed}` : ''}`;
  if (hash.length > MAX_LINK_CHARS || parts.some((part) => part.inflatedBytes > MAX_PAYLOAD_BYTES)) {
    throw new RangeError(`The link would be ${hash.length} characters, more than the ${MAX_LINK_CHARS} a link may have: ` +
      'share fewer runs, or the settings without results.');
  }
  return hash;
}

// ---------- decoding ----------

export type DecodedLink =
  | { ok: true; version: number; state: ExperimentState; results: SharedResults | null; warnings: string[] }
  | { ok: false; message: string; state: ExperimentState };

function fail(message: string): DecodedLink {
  return { ok: false, message, state: defaultExperimentState() };
}

/** `a=1&b=2` → entries; null when a name repeats (which of the two would be meant?). */
function parseParams(hash: string): Map<string, string> | null {
  const params = new Map<string, string>();
  for (const part of hash.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = equals < 0 ? part : part.slice(0, equals);
    if (params.has(name)) return null;
    params.set(name, equals < 0 ? '' : part.slice(equals + 1));
  }
  return params;
}

/**
 * Reads a link made by encodeExperimentLink: a URL, or its hash with or without the '#'. Never throws. On success every
 * field has been validated (problems became warnings and defaults); on failure the message is one sentence for the user
 * and the state is the default.
 */
export function decodeExperimentLink(link: string): DecodedLink {
  if (typeof link !== 'string') return fail('This is not a link.');
  if (link.length > MAX_LINK_CHARS) {
    return fail(`This link is too long (${link.length} characters; a link may have at most ${MAX_LINK_CHARS}).`);
  }
  const hashAt = link.indexOf('#');
  const params = parseParams(hashAt < 0 ? link : link.slice(hashAt + 1));
  if (params === null) return fail('This link is damaged: one of its parts appears twice.');
  const version = params.get('v');
  const settings = params.get('s');
  if (version === undefined && settings === undefined) return fail('This link carries no experiment.');
  if (version === undefined || !/^[1-9]\d{0,8}$/.test(version)) {
    return fail(`This link has no valid version number (v=${describe(version ?? '')}), so it cannot be read.`);
  }
  const versionNumber = Number(version);
  if (versionNumber > LINK_VERSION) {
    return fail(`This link was made by a newer version of the app (link version ${versionNumber}; this app reads ` +
      `versions 1 to ${LINK_VERSION}): open it with the current app.`);
  }
  if (settings === undefined) return fail('This link has no experiment settings (its s= part is missing).');

  const unpackedSettings = unpack(settings);
  if (!unpackedSettings.ok) return fail(`The experiment settings in this link ${unpackedSettings.problem}.`);
  const report = new DecodeReport();
  let rawResults: unknown;
  const resultsText = params.get('r');
  if (resultsText !== undefined) {
    const unpackedResults = unpack(resultsText);
    if (unpackedResults.ok) rawResults = unpackedResults.json;
    else report.warn(`The results in this link ${unpackedResults.problem}; only the settings were loaded.`);
  }

  let payload: LinkPayload;
  try {
    payload = migratePayload({ state: unpackedSettings.json, results: rawResults }, versionNumber);
  } catch {
    return fail(`This link (version ${versionNumber}) could not be converted to the current version.`);
  }
  const state = decodeWithSpec(EXPERIMENT_SPEC, payload.state, defaultExperimentState(), 'experiment', report);
  if (!state.ok) return fail('The experiment settings in this link are not in the expected form.');
  let results: SharedResults | null = null;
  if (payload.results !== undefined) {
    const decoded = decodeWithSpec(RESULTS_SPEC, payload.results, undefined, 'results', report);
    if (decoded.ok) results = decoded.value;
    else report.warn(`The results in this link could not be read (${decoded.problem}); only the settings were loaded.`);
  }
  return { ok: true, version: versionNumber, state: state.value, results, warnings: report.warnings };
}
