// Where the scanner keeps its offline queue and state: IndexedDB through `idb` when the npm
// bundle is present, else localStorage (small festivals, typed codes, no build step).
const DB_NAME = "thetsakan-scanner";
const PREFIX = "thetsakan.scanner.";

async function indexedStore(openDB) {
  const db = await openDB(DB_NAME, 1, {
    upgrade(database) {
      database.createObjectStore("queue", { keyPath: "local_id" });
      database.createObjectStore("state");
    },
  });
  return {
    kind: "indexeddb",
    queued: () => db.getAll("queue"),
    enqueue: (item) => db.put("queue", item),
    async remove(ids) {
      const tx = db.transaction("queue", "readwrite");
      await Promise.all(ids.map((id) => tx.store.delete(id)));
      await tx.done;
    },
    count: () => db.count("queue"),
    get: (key) => db.get("state", key),
    set: (key, value) => db.put("state", value, key),
  };
}

function localStore() {
  const read = (key, fallback) => {
    try {
      const value = JSON.parse(localStorage.getItem(PREFIX + key));
      return value === null ? fallback : value;
    } catch (error) {
      return fallback;
    }
  };
  const write = (key, value) => localStorage.setItem(PREFIX + key, JSON.stringify(value));
  return {
    kind: "localstorage",
    async queued() { return read("queue", []); },
    async enqueue(item) {
      const queue = read("queue", []).filter((i) => i.local_id !== item.local_id);
      queue.push(item);
      write("queue", queue);
    },
    async remove(ids) {
      const gone = new Set(ids);
      write("queue", read("queue", []).filter((i) => !gone.has(i.local_id)));
    },
    async count() { return read("queue", []).length; },
    async get(key) { return read("state." + key, undefined); },
    async set(key, value) { write("state." + key, value); },
  };
}

export async function openStore(vendor) {
  if (vendor && vendor.openDB && window.indexedDB) {
    try {
      return await indexedStore(vendor.openDB);
    } catch (error) {
      // Private browsing may refuse IndexedDB: fall through.
    }
  }
  return localStore();
}
