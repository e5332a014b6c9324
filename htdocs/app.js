/*
 * app.js: a little live refresh for the admin pages.  Every page is
 * complete without it; this only keeps numbers fresh.  It writes text with
 * textContent only (never markup), and sends the session cookie the browser
 * already holds (same origin, GET only).
 */
(function () {
	"use strict";

	function getJSON(url) {
		return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
			.then(function (r) {
				if (r.status === 401) { window.location.reload(); throw new Error("signed out"); }
				if (!r.ok) { throw new Error("HTTP " + r.status); }
				return r.json();
			});
	}

	function formatStat(value, format) {
		if (value === null || value === undefined) { return "\u2013"; }
		if (format === "percent") { return (value * 100).toFixed(1) + "%"; }
		if (format === "ms") { return Math.round(value) + " ms"; }
		return String(value);
	}

	function every(ms, fn) {
		fn();
		return window.setInterval(function () { if (!document.hidden) { fn(); } }, ms);
	}

	/* Dashboard: /api/webhooks/stats and /api/evolution/usage. */
	function dashboard(root) {
		var stamp = document.getElementById("refreshed");
		every(5000, function () {
			getJSON("/api/webhooks/stats").then(function (s) {
				root.querySelectorAll("[data-stat]").forEach(function (el) {
					el.textContent = formatStat(s[el.getAttribute("data-stat")],
						el.getAttribute("data-format"));
				});
				if (stamp) { stamp.textContent = "Updated " + new Date().toLocaleTimeString() + "."; }
			}).catch(function () {});
			getJSON("/api/evolution/usage").then(function (u) {
				(u.servers || []).forEach(function (srv) {
					var row = root.querySelector('tr[data-server="' + Number(srv.id) + '"]');
					if (!row) { return; }
					row.className = "status-" + srv.status;
					row.querySelectorAll("[data-field]").forEach(function (el) {
						var f = el.getAttribute("data-field");
						if (el.tagName === "METER") { el.value = srv[f]; return; }
						el.textContent = f === "usage_percentage" ? Math.round(srv[f]) + "%" : String(srv[f]);
					});
				});
				var states = u.instances_by_state || {};
				root.querySelectorAll("[data-state]").forEach(function (el) {
					el.textContent = String(states[el.getAttribute("data-state")] || 0);
				});
			}).catch(function () {});
		});
	}

	/* Connect page: poll the state; refresh the QR code; reload once connected. */
	function connect(section) {
		var url = section.getAttribute("data-poll"), ticks = 0;
		var badge = section.querySelector('[data-field="state"]');
		if (section.getAttribute("data-state") === "connected") { return; }
		every(2000, function () {
			ticks++;
			var wantQr = ticks % 10 === 0;
			getJSON(url + (wantQr ? "?qr=1" : "")).then(function (s) {
				if (badge) { badge.textContent = s.state; }
				if (s.state === "connected") { window.location.reload(); return; }
				var img = document.getElementById("qr");
				if (wantQr && img && s.qr && /^data:image\/png;base64,[A-Za-z0-9+\/=]+$/.test(s.qr.base64)) {
					img.src = s.qr.base64;
				}
			}).catch(function () {});
		});
	}

	document.addEventListener("DOMContentLoaded", function () {
		var d = document.querySelector('[data-refresh="dashboard"]');
		if (d) { dashboard(d); }
		var c = document.getElementById("connect");
		if (c && c.getAttribute("data-poll")) { connect(c); }
	});
}());
