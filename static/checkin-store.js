// The check-ins kept on this device: one IndexedDB object store, keyed by each check-in's
// idempotency key. Storage only: what is kept is checkin-answers.js's job, sending it
// checkin-sync.js's.
const STORE = "checkins";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open("afterglow", 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

export const checkinQueue = {
  all: () => run("readonly", (store) => store.getAll()),
  put: (entry) => run("readwrite", (store) => store.put(entry)),
  remove: (key) => run("readwrite", (store) => store.delete(key)),
};
