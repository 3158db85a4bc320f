// caseflow's service worker: keeps the intake form and the page assets so
// that a commune officer can file a report with no connection. It stores
// no report: the page keeps those, encrypted, in IndexedDB. Pages other
// than the form are never kept; offline they get a short page that points
// to the form.
"use strict";
var SHELL = "caseflow-shell";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });

// The page says what to keep (its stylesheet, script and intake form) and
// when to forget everything (logout).
self.addEventListener("message", function (e) {
  var m = e.data || {};
  if (m.type === "keep" && Array.isArray(m.urls)) {
    e.waitUntil(caches.open(SHELL).then(function (c) {
      return Promise.all(m.urls.map(function (u) {
        return fetch(u, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
          // A form page that redirected (to the login page) is not kept.
          if (r.ok && !r.redirected) return c.put(u, r);
        }).catch(function () {});
      }));
    }));
  } else if (m.type === "wipe") {
    e.waitUntil(caches.delete(SHELL));
  }
});

var offlinePage = '<!doctype html><html lang="vi"><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1"><title>caseflow</title>' +
  '<body style="font:1rem/1.5 system-ui,sans-serif;margin:1rem;max-width:40rem">' +
  '<h1 style="font-size:1.25rem">Không có kết nối mạng</h1>' +
  '<p>Trang này cần kết nối. Tin báo mới vẫn nhập được và sẽ tự gửi khi có mạng.</p>' +
  '<p><a href="/reports/new">Tiếp nhận tin báo</a></p>' +
  '<p lang="en">No connection. New reports can still be entered: <a href="/reports/new">New report</a>.</p>';

self.addEventListener("fetch", function (e) {
  var r = e.request;
  if (r.method !== "GET") return;
  var url = new URL(r.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    // Fingerprinted assets never change under their name.
    e.respondWith(caches.match(r).then(function (hit) {
      return hit || fetch(r).then(function (resp) {
        if (resp.ok) {
          var copy = resp.clone();
          caches.open(SHELL).then(function (c) { c.put(r, copy); });
        }
        return resp;
      });
    }));
    return;
  }
  if (r.mode !== "navigate") return;
  e.respondWith(fetch(r).then(function (resp) {
    if (url.pathname === "/reports/new" && resp.ok && !resp.redirected) {
      var copy = resp.clone();
      caches.open(SHELL).then(function (c) { c.put("/reports/new", copy); });
    }
    return resp;
  }).catch(function () {
    var want = url.pathname === "/reports/new" ? "/reports/new" : null;
    return (want ? caches.match(want) : Promise.resolve(null)).then(function (hit) {
      return hit || new Response(offlinePage, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
    });
  }));
});
