/**
 * Which time zone names a bundle or a gate may use: those of the IANA database that this Node
 * accepts, spelled as the database spells them. `Intl.supportedValuesOf('timeZone')` lists ICU's
 * canonical names (on Node 20 `Asia/Saigon`, not `Asia/Ho_Chi_Minh`); the database's other names
 * (`Asia/Ho_Chi_Minh`, `Asia/Phnom_Penh`, `UTC`) are accepted when Intl resolves them. ICU also
 * takes `asia/saigon`; that spelling is refused with the right one, so what is signed is what a
 * person reads in the database.
 */

let supported: Map<string, string> | undefined;

/** Lower-case name → the name as listed, for every zone Intl lists. */
function supportedZones(): Map<string, string> {
  supported ??= new Map(Intl.supportedValuesOf('timeZone').map((z) => [z.toLowerCase(), z]));
  return supported;
}

function resolves(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Places people write that have no zone of their own, with the zone they are in. */
const PLACE_ZONES: Readonly<Record<string, string>> = {
  'asia/hanoi': 'Asia/Ho_Chi_Minh',
  'asia/ha_noi': 'Asia/Ho_Chi_Minh',
  'asia/saigon_city': 'Asia/Ho_Chi_Minh',
  'asia/da_nang': 'Asia/Ho_Chi_Minh',
  'asia/haiphong': 'Asia/Ho_Chi_Minh',
  'asia/can_tho': 'Asia/Ho_Chi_Minh',
  'asia/ha_tien': 'Asia/Ho_Chi_Minh',
  'asia/siem_reap': 'Asia/Phnom_Penh',
  'asia/luang_prabang': 'Asia/Vientiane',
  'asia/beijing': 'Asia/Shanghai',
};

/** `Asia/ho_chi_minh` → `Asia/Ho_Chi_Minh`: the database's capitalisation of most names. */
const titleCase = (zone: string) =>
  zone
    .split('/')
    .map((seg) =>
      seg
        .split('_')
        .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1).toLowerCase() : w))
        .join('_'),
    )
    .join('/');

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** The zone most likely meant by an unknown name, if one is close. */
function nearestZone(zone: string): string | undefined {
  const lower = zone.toLowerCase();
  const place = PLACE_ZONES[lower];
  if (place) return place;
  let best: { name: string; d: number } | undefined;
  const candidates = [
    ...supportedZones(),
    ...Object.values(PLACE_ZONES).map((z) => [z.toLowerCase(), z] as const),
  ];
  for (const [key, name] of candidates) {
    const d = editDistance(lower, key);
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** Why `zone` is not an IANA time zone name this Node accepts, with the likely one; or undefined. */
export function timeZoneProblem(zone: string): string | undefined {
  const listed = supportedZones().get(zone.toLowerCase());
  if (listed === zone) return undefined;
  if (listed) return `time zone "${zone}" must be written "${listed}"`;
  if (resolves(zone)) {
    // Accepted by Intl but not listed: an IANA link (Asia/Ho_Chi_Minh on Node 20, US/Pacific), or
    // a name in the wrong case, which ICU also takes.
    if (zone.split('/').every((seg) => /^[A-Z]/.test(seg))) return undefined;
    const spelled = titleCase(zone);
    const right = resolves(spelled)
      ? spelled
      : new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
    return `time zone "${zone}" must be written "${right}"`;
  }
  const near = nearestZone(zone);
  return `"${zone}" is not a time zone of the IANA database${near ? `; did you mean "${near}"?` : ''}`;
}
