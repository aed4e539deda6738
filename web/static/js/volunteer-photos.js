/* The volunteer page's photos: up to the limit per report, each shrunk on the phone before it
 * is kept, shown as a small preview with a Remove button.
 *
 * Shrinking redraws the picture's pixels on a canvas and writes a new JPEG: the phone's EXIF
 * (its GPS position among it) stays behind, and a few hundred kilobytes go over the
 * volunteer's data plan instead of several megabytes. A photo is shrunk once, before it is
 * kept, so that every retry sends the same bytes. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;
  var TYPES = ["image/jpeg", "image/png", "image/webp"];
  var QUALITY = 0.85;
  var input, list, status, limits;
  var photos = []; // {blob, url}
  var busy = 0;
  var queue = Promise.resolve();

  function init(options) {
    limits = { count: options.maxPhotos, bytes: options.maxPhotoBytes, edge: options.photoMaxEdge };
    input = document.getElementById("photos");
    list = document.getElementById("photo-list");
    status = document.getElementById("photos-status");
    input.addEventListener("change", picked);
    // This server takes no photos: offer none.
    document.getElementById("photos-fieldset").hidden = !limits.count;
    render();
  }

  function megabytes(n) { return (n / 1048576).toFixed(1).replace(/\.0$/, "") + " MB"; }

  function picked() {
    var files = Array.prototype.slice.call(input.files || []);
    input.value = ""; // the same photo may be chosen again after a Remove
    if (!files.length) return;
    var messages = [], room = limits.count - photos.length - busy;
    if (files.length > room) {
      messages.push(room > 0 ? "A report takes at most " + limits.count + " photos: only the first " + room + " of these were added." :
        "A report takes at most " + limits.count + " photos: remove one to add another.");
      files = files.slice(0, Math.max(room, 0));
    }
    busy += files.length;
    if (files.length) say("Preparing " + (files.length === 1 ? "the photo" : files.length + " photos") + "…", false);
    // One at a time: a cheap phone has room for one decoded photo, not three.
    files.forEach(function (file) {
      queue = queue.then(function () { return prepare(file); }).then(function (done) {
        busy -= 1;
        if (done.blob) photos.push({ blob: done.blob, url: URL.createObjectURL(done.blob) });
        else messages.push(done.error);
        render();
      });
    });
    queue = queue.then(function () {
      if (messages.length) say(messages.join(" "), true);
      else if (!busy) say("", false);
    });
  }

  /** The photo to keep for `file` ({blob}), or why there is none ({error}). */
  function prepare(file) {
    var name = file.name ? "“" + file.name + "”" : "This file";
    return shrink(file).catch(function () { return null; }).then(function (blob) {
      if (!blob && TYPES.indexOf(file.type) >= 0) blob = file; // sent as it is; the server cleans it
      if (!blob) return { error: name + " is not a photo this page can send: choose a JPEG, PNG or WebP picture." };
      if (blob.size > limits.bytes) return { error: name + " is too large (" + megabytes(blob.size) + "; at most " + megabytes(limits.bytes) + ")." };
      return { blob: blob };
    });
  }

  function decode(file) {
    if (!window.createImageBitmap) return Promise.reject(new Error("no createImageBitmap"));
    try {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function (err) {
        // Some browsers refuse the option itself; their default turns the picture upright too.
        if (err && err.name === "TypeError") return createImageBitmap(file);
        throw err;
      });
    } catch (e) {
      return createImageBitmap(file);
    }
  }

  /** A JPEG of `file`'s pixels, upright, its longest edge at most the server's. */
  function shrink(file) {
    return decode(file).then(function (bitmap) {
      var scale = Math.min(1, limits.edge / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // a transparent PNG gets a white, not a black, background
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          canvas.width = canvas.height = 0; // give the memory back at once
          if (blob) resolve(blob); else reject(new Error("the picture could not be encoded"));
        }, "image/jpeg", QUALITY);
      });
    });
  }

  function say(text, bad) {
    status.textContent = text;
    status.className = bad ? "photo-message bad" : "hint";
  }

  function removeAt(i) {
    URL.revokeObjectURL(photos[i].url);
    photos.splice(i, 1);
    render();
    say("Photo removed.", false);
  }

  function render() {
    list.textContent = "";
    photos.forEach(function (p, i) {
      list.appendChild(u.el("li", {},
        u.el("img", { src: p.url, alt: "Photo " + (i + 1), width: "96", height: "96" }),
        u.el("span", { class: "photo-size", text: "Photo " + (i + 1) + " · " + Math.max(1, Math.round(p.blob.size / 1024)) + " KB" }),
        u.el("button", { type: "button", class: "photo-remove", "aria-label": "Remove photo " + (i + 1), text: "Remove",
          onclick: function () { removeAt(i); } })));
    });
    list.hidden = !photos.length;
    document.getElementById("photos-count").textContent = photos.length ? photos.length + " of " + limits.count + " photos" : "";
  }

  CivicMap.photos = {
    init: init,
    /** Resolves with the photos to send (Blobs, in order) once the ones being prepared are ready. */
    ready: function () { return queue.then(function () { return photos.map(function (p) { return p.blob; }); }); },
    busy: function () { return busy > 0; },
    /** Forget the photos (they were queued with a report). */
    clear: function () {
      photos.forEach(function (p) { URL.revokeObjectURL(p.url); });
      photos = [];
      render();
      say("", false);
    },
    /** Put photos (Blobs) back, e.g. with a report that was refused. */
    restore: function (blobs) {
      blobs.slice(0, limits.count - photos.length).forEach(function (b) { photos.push({ blob: b, url: URL.createObjectURL(b) }); });
      render();
    },
  };
})();
