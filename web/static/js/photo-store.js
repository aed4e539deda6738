/* Photos waiting in the outbox, kept in IndexedDB (localStorage holds only text).
 *
 * One record per report, keyed by the report's client_id: the photos as sent, in order, each
 * as its bytes (an ArrayBuffer, which every browser can store, where some could not store a
 * Blob) and its media type. The bytes never change after they are stored, so every retry of a
 * report sends the very same photos and the server can recognise the replay. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var DB = "civicmap-photos";
  var STORE = "photos";
  var PRUNE_AFTER_MS = 3600 * 1000;
  var opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("this browser cannot keep photos (no IndexedDB)")); return; }
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE); };
      request.onsuccess = function () {
        var db = request.result;
        // A newer version of the page wants to upgrade: step aside, reopen when asked again.
        db.onversionchange = function () { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = function () { reject(request.error || new Error("IndexedDB could not open")); };
      request.onblocked = function () { reject(new Error("IndexedDB is blocked by another tab")); };
    });
    opening.catch(function () { opening = null; });
    return opening;
  }

  /** Run `work(store, done)` in one transaction; resolves with what `done` was given once the
   * transaction committed (so a resolved put is on disk as far as the browser can tell). */
  function transaction(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), result;
        work(tx.objectStore(STORE), function (value) { result = value; });
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error || new Error("IndexedDB transaction failed")); };
      });
    });
  }

  function bytesOf(blob) {
    if (blob.arrayBuffer) return blob.arrayBuffer();
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsArrayBuffer(blob);
    });
  }

  /** Keep `blobs` (in order) for the report `clientId`. */
  function put(clientId, blobs) {
    return Promise.all(blobs.map(bytesOf)).then(function (buffers) {
      var record = { stored_at: Date.now(), photos: buffers.map(function (data, i) {
        return { type: blobs[i].type || "application/octet-stream", data: data };
      }) };
      return transaction("readwrite", function (store) { store.put(record, clientId); });
    });
  }

  /** The photos kept for `clientId` as Blobs, in order; an empty list when none are kept. */
  function get(clientId) {
    return transaction("readonly", function (store, done) {
      var request = store.get(clientId);
      request.onsuccess = function () {
        done((request.result ? request.result.photos : []).map(function (p) { return new Blob([p.data], { type: p.type }); }));
      };
    });
  }

  function remove(clientId) {
    return transaction("readwrite", function (store) { store.delete(clientId); });
  }

  /** The client ids that have photos kept. */
  function keys() {
    return transaction("readonly", function (store, done) {
      var request = store.getAllKeys();
      request.onsuccess = function () { done(request.result || []); };
    });
  }

  /** Remove the photos of every report not in `keep` (left behind when a tab closed between
   * taking a report out of the outbox and removing its photos). Photos kept in the last hour
   * stay: another tab may be about to put their report in the outbox. */
  function prune(keep) {
    var before = Date.now() - PRUNE_AFTER_MS;
    return transaction("readwrite", function (store) {
      store.openCursor().onsuccess = function (e) {
        var cursor = e.target.result;
        if (!cursor) return;
        if (keep.indexOf(cursor.key) < 0 && !(cursor.value && cursor.value.stored_at > before)) cursor.delete();
        cursor.continue();
      };
    });
  }

  CivicMap.photoStore = { put: put, get: get, remove: remove, keys: keys, prune: prune };
})();
