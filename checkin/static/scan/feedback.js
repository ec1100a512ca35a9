// Full-screen answers readable at arm's length, with a beep (WebAudio) and a vibration.
const COLOURS = {
  admitted: "green",
  already_admitted: "amber",
  waitlisted: "amber",
  not_open: "amber",
  unverified: "amber",
  not_booked: "red",
  cancelled: "red",
  wrong_festival: "red",
  invalid: "red",
};

let audio = null;

function beep(colour) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const tones = colour === "green" ? [[880, 0.12]] : colour === "amber" ? [[660, 0.15], [660, 0.15]] : [[220, 0.5]];
    let at = audio.currentTime;
    for (const [frequency, length] of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = frequency;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + length);
      at += length + 0.08;
    }
  } catch (error) {
    // No sound on this device: the colour says it all.
  }
  if (navigator.vibrate) navigator.vibrate(colour === "green" ? 80 : colour === "amber" ? [80, 60, 80] : 400);
}

export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : ""));
}

// The page's language (not the browser's) and a 24-hour clock in the festival's zone, as the server prints times:
// "19:42", never "07:42 PM" on a Thai page read in an English browser.
export function clock(iso, timeZone) {
  try {
    const lang = document.documentElement.lang || "th";
    return new Date(iso).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone });
  } catch (error) {
    return iso;
  }
}

let hideTimer = null;

export function showAnswer(answer, t, { timeZone, offline }) {
  const panel = document.getElementById("answer");
  const colour = COLOURS[answer.result] || "red";
  let title = t[answer.result] || answer.result;
  if (answer.exit) title = t.exit;
  const pass = answer.pass;
  const name = pass ? pass.name : answer.result === "admitted" ? t.unknown_visitor : "";
  const details = [];
  if (answer.walk_in) details.push(t.walk_in);
  if (answer.first_scanned_at) details.push(fill(t.first, { time: clock(answer.first_scanned_at, timeZone) }));
  if (offline) details.push(t.offline_note);
  panel.dataset.result = answer.result;
  panel.dataset.rehearsal = answer.rehearsal ? "true" : "false";
  const rehearsal = document.getElementById("answer-rehearsal");
  rehearsal.hidden = !answer.rehearsal;
  panel.className = "answer answer-" + colour;
  document.getElementById("answer-title").textContent = title;
  document.getElementById("answer-name").textContent = name;
  document.getElementById("answer-party").textContent = pass ? fill(t.party, { n: pass.party_size }) : "";
  document.getElementById("answer-detail").textContent = details.join(" · ");
  panel.hidden = false;
  document.getElementById("last-answer").textContent = [answer.rehearsal ? t.rehearsal : "", title, name,
    pass ? fill(t.party, { n: pass.party_size }) : ""]
    .filter(Boolean).join(" · ");
  beep(colour);
  clearTimeout(hideTimer);
  hideTimer = setTimeout(hideAnswer, colour === "green" ? 2500 : 4000);
}

export function hideAnswer() {
  document.getElementById("answer").hidden = true;
}
