// Answers a scan without the server, from the scanner bundle and what this phone admitted
// itself; the server re-judges every queued scan when it is uploaded.

export function isOpen(checkpoint, at) {
  if (checkpoint.opens_at && at < new Date(checkpoint.opens_at)) return false;
  if (checkpoint.closes_at && at >= new Date(checkpoint.closes_at)) return false;
  return true;
}

// The day of a moment in the festival's zone, as YYYY-MM-DD.
export function localDay(at, timeZone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

// A scan on none of the festival's days is a rehearsal (checkin/scanning.py): judged afresh, remembered nowhere.
export function isRehearsal(festival, at) {
  if (!festival.starts_on || !festival.ends_on) return false;
  const day = localDay(at, festival.timezone);
  return day < festival.starts_on || day > festival.ends_on;
}

// local = {admits: {"<checkpoint>:<public id>": {first_scanned_at, inside}}, walkIns: {"<session>": people}}
export function decideOffline({ bundle, checkpoint, parsed, verified, direction, scannedAt, local }) {
  const answer = judge({ bundle, checkpoint, parsed, verified, direction, scannedAt, local });
  if (isRehearsal(bundle.festival, scannedAt)) answer.rehearsal = true;
  return answer;
}

function judge({ bundle, checkpoint, parsed, verified, direction, scannedAt, local }) {
  if (isRehearsal(bundle.festival, scannedAt)) {
    // What a rehearsal admits is not kept: a throwaway memory, and nothing from the real admissions.
    local = { admits: {}, walkIns: {} };
    bundle = { ...bundle, admitted: {} };
  }
  if (!parsed) return { result: "invalid" };
  if (parsed.festivalId !== bundle.festival.id) return { result: "wrong_festival" };
  if (verified === false) return { result: "invalid" };
  const pass = bundle.passes[parsed.publicId] || null;
  if (bundle.revoked.cancelled.includes(parsed.publicId)) return { result: "cancelled", pass };
  const minSerial = bundle.revoked.min_serial[parsed.publicId];
  if (minSerial && parsed.serial < minSerial) return { result: "cancelled", pass };
  if (verified === null) return { result: "unverified", pass };
  if (!isOpen(checkpoint, scannedAt)) return { result: "not_open", pass };

  const key = checkpoint.id + ":" + parsed.publicId;
  const seen = local.admits[key] || (bundle.admitted[String(checkpoint.id)] || {})[parsed.publicId];
  const when = scannedAt.toISOString();
  if (direction === "out") {
    local.admits[key] = { first_scanned_at: seen ? seen.first_scanned_at : null, inside: false };
    return { result: "admitted", pass, exit: true };
  }
  if (seen && seen.first_scanned_at) {
    if (checkpoint.kind === "gate" && checkpoint.counts_exits && !seen.inside) {
      local.admits[key] = { first_scanned_at: seen.first_scanned_at, inside: true };
      return { result: "admitted", pass };
    }
    return { result: "already_admitted", pass, first_scanned_at: seen.first_scanned_at };
  }
  let walkIn = false;
  if (checkpoint.kind === "session") {
    const session = bundle.sessions[String(checkpoint.session_id)];
    if (session && session.status === "cancelled") return { result: "not_open", pass };
    if (session && session.capacity !== null) {
      const status = (bundle.bookings[String(checkpoint.session_id)] || {})[parsed.publicId];
      if (status !== "confirmed") {
        const party = pass ? pass.party_size : 1;
        const sid = String(checkpoint.session_id);
        const free = session.capacity - session.seats_confirmed - session.walk_ins - (local.walkIns[sid] || 0);
        if (!(bundle.festival.allow_walk_ins && free >= party)) {
          return { result: status === "waitlisted" ? "waitlisted" : "not_booked", pass };
        }
        walkIn = true;
        local.walkIns[sid] = (local.walkIns[sid] || 0) + party;
      }
    }
  }
  local.admits[key] = { first_scanned_at: when, inside: true };
  return { result: "admitted", pass, walk_in: walkIn };
}
