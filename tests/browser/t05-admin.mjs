// t05-admin.mjs: the admin pages in a real headless Chromium (Debian's
// chromium driven by playwright-core; no browser download).
//
// Sign in, add a gateway server pointing at the simulator, add an
// instance, connect it by QR (the simulator's /_sim/.../scan knob plays
// the phone), see it connected on the dashboard, post a webhook and find
// it in the Events tab (its <script> payload shown as text), delete the
// instance; and check a page is complete with JavaScript off.
// Screenshots of the dashboard and the QR page go to $STATE/artifacts (or
// tests/browser/artifacts).  Output: TAP.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

// The stack's variables: the environment, else $STATE/env (export K=V lines).
function stackEnv() {
	const env = { ...process.env };
	const state = env.STATE || env.WAPOOL_STATE || join(here, '..', '..', '.state');
	const file = join(state, 'env');
	if (existsSync(file)) {
		for (const line of readFileSync(file, 'utf8').split('\n')) {
			const m = /^(?:export )?([A-Z_0-9]+)=(.*)$/.exec(line);
			if (m && env[m[1]] === undefined)
				env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
		}
	}
	env.STATE = state;
	return env;
}

const env = stackEnv();
const BASE = env.BASE_URL, SIM = env.SIM_URL;
let n = 0, failed = 0;
function ok(cond, desc, diag) {
	n++;
	if (cond) {
		console.log(`ok ${n} - ${desc}`);
	} else {
		failed++;
		console.log(`not ok ${n} - ${desc}`);
		if (diag !== undefined)
			console.log(String(diag).split('\n').map((l) => `#   ${l}`).join('\n'));
	}
	return cond;
}
function bail(msg) {
	console.log(`Bail out! ${msg}`);
	process.exit(1);
}
if (!BASE || !SIM)
	bail(`no stack: BASE_URL/SIM_URL unknown (STATE=${env.STATE})`);

const artifacts = existsSync(env.STATE) ? join(env.STATE, 'artifacts') : join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });

const run = `${Date.now() % 1000000000}`;
const user = `browser${run}`, password = `pw-${run}-browser`;
const gwName = `browser-sim-${run}`, client = `browser-client-${run}`;
const instanceName = `imperio-browser-client-${run}`;
const wapoolctl = env.WAPOOLCTL_BIN || join(env.SRCDIR || join(here, '..', '..'), 'daemon', 'wapoolctl');
try {
	execFileSync(wapoolctl, ['-f', env.WAPOOL_CONF, 'user', 'add', user, '--password-stdin'],
		{ input: `${password}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
} catch (e) {
	bail(`wapoolctl user add failed: ${e.stderr || e.message}`);
}

const browser = await chromium.launch({
	executablePath: env.CHROMIUM_PATH || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const dialogs = [], pageErrors = [];
page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
page.on('pageerror', (e) => pageErrors.push(e.message));
page.setDefaultTimeout(15000);

let gatewayId = null;
try {
	// --- sign in -------------------------------------------------------------
	await page.goto(`${BASE}/admin/`);
	ok(page.url().startsWith(`${BASE}/admin/login`), 'without a session the dashboard sends to the login page', page.url());
	await page.fill('#f-username', user);
	await page.fill('#f-password', `wrong-${password}`);
	await page.click('button[type=submit]');
	ok(await page.textContent('#e-password') === 'wrong user name or password',
		'a wrong password shows the error beside the field');
	await page.fill('#f-password', password);
	await page.click('button[type=submit]');
	await page.waitForURL(`${BASE}/admin/`);
	ok(await page.textContent('h1') === 'Dashboard', 'signed in: the dashboard');
	const cookies = await context.cookies();
	const session = cookies.find((c) => c.name === 'wapool_session');
	ok(session && session.httpOnly && session.sameSite === 'Strict',
		'the session cookie is HttpOnly and SameSite=Strict', JSON.stringify(session));

	// --- add a gateway server on the simulator --------------------------------------
	await page.click('nav >> text=Gateways');
	await page.fill('#f-name', gwName);
	await page.selectOption('#f-kind', 'evolution');
	await page.fill('#f-base_url', SIM);
	await page.fill('#f-api_key', env.SIM_API_KEY);
	await page.fill('#f-capacity', '5');
	await page.fill('#f-priority', '900');
	await page.click('form.form button[type=submit]');
	await page.waitForURL(/\/admin\/gateways\?done=added$/);
	const row = page.locator('tr', { has: page.locator(`a:text-is("${gwName}")`) });
	ok(await row.count() === 1, 'the new server is listed');
	ok((await row.textContent()).includes('\u2022\u2022\u2022\u2022'), 'its API key is masked');
	const href = await row.locator('a').first().getAttribute('href');
	gatewayId = /\/admin\/gateways\/(\d+)/.exec(href)[1];
	await row.locator('button:text("Test connection")').click();
	await page.waitForURL(/done=tested/);
	ok(/^OK: GET \/ answered HTTP 200/.test(await page.textContent('pre.answer')),
		'test connection shows what the server answered', await page.textContent('pre.answer'));

	// --- add an instance: the server is chosen automatically ----------------------
	await page.click('nav >> text=Instances');
	await page.selectOption('#f-tenant', { label: 'imperio' });
	await page.fill('#f-client_ref', client);
	await page.fill('#f-phone', '(11) 97777-1234');
	await page.click('form.form button[type=submit]');
	await page.waitForURL(/\/admin\/instances\/\d+\/connect\?done=created$/);
	const instanceId = /\/instances\/(\d+)\//.exec(page.url())[1];
	ok((await page.textContent('dl.summary')).includes(gwName), 'the instance went to the highest-priority server');
	const img = page.locator('img#qr');
	ok(await img.count() === 1 && (await img.getAttribute('src')).startsWith('data:image/png;base64,'),
		'the connect page shows the QR code');
	ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the QR image decodes in the browser');
	ok(/^[A-Z0-9]{8}$/.test(await page.textContent('.pairing')), 'and the pairing code');
	await page.screenshot({ path: join(artifacts, 'admin-qr.png'), fullPage: true });
	ok(true, `screenshot of the QR page saved in ${artifacts}/admin-qr.png`);

	// the same client again: no second instance
	await page.goto(`${BASE}/admin/instances`);
	await page.selectOption('#f-tenant', { label: 'imperio' });
	await page.fill('#f-client_ref', client);
	await page.click('form.form button[type=submit]');
	await page.waitForURL(/done=exists$/);
	ok(page.url().includes(`/admin/instances/${instanceId}/connect`), 'adding the same client again reconnects the same instance');

	// --- the phone scans: the page notices by itself (app.js polling) ---------------
	const scan = await fetch(`${SIM}/_sim/instances/${instanceName}/scan`, { method: 'POST' });
	ok(scan.ok, 'the simulator was told the QR was scanned', scan.status);
	await page.waitForSelector('[data-connected]', { timeout: 20000 });
	ok((await page.textContent('[data-field=state]')) === 'connected', 'the connect page turns to connected by itself');

	// --- dashboard -------------------------------------------------------------------
	await page.click('nav >> text=Dashboard');
	const srv = page.locator(`tr[data-server="${gatewayId}"]`);
	ok(await srv.locator('[data-field=connected]').textContent() === '1', 'the dashboard shows the server with 1 connected');
	ok(Number(await page.textContent('[data-state=connected]')) >= 1, 'and the connected instances count');
	await page.waitForFunction(() => document.getElementById('refreshed').textContent !== '', null, { timeout: 15000 });
	ok(true, 'app.js refreshed the numbers from the JSON API');
	await page.screenshot({ path: join(artifacts, 'admin-dashboard.png'), fullPage: true });
	ok(true, `screenshot of the dashboard saved in ${artifacts}/admin-dashboard.png`);

	// --- a webhook shows in the Events tab, its payload as text -------------------------
	const order = `9${run}`;
	const body = JSON.stringify({ id: Number(order), note: "<script>alert('x')</script>",
		billing: { first_name: 'Maria', phone: '(11) 98765-4321' }, total: '10.00' });
	const hook = await fetch(`${BASE}/webhook/imperio/order_paid`, {
		method: 'POST', body,
		headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${env.ROUTE_SECRET_ORDER_PAID}` },
	});
	ok(hook.status === 202 || hook.status === 200, 'a webhook was posted', hook.status);
	await page.click('nav >> text=Pools & events');
	ok(await page.locator('nav.tabs a[aria-current=page]').textContent() === 'Pools', 'the Pools tab opens first');
	await page.click('nav.tabs >> text=Events');
	await page.fill('#f-event', 'order_paid');
	await page.click('form.filters button');
	const first = page.locator('#events tbody tr').first();
	ok((await first.textContent()).includes('accepted'), 'the newest order_paid event is listed, accepted');
	await first.locator('a').first().click();
	const payload = await page.textContent('#payload');
	ok(payload.includes("<script>alert('x')</script>") && payload.includes(order),
		'the payload shows <script> as text');
	ok(await page.locator('#payload script').count() === 0 && dialogs.length === 0,
		'and never runs it', dialogs.join('; '));

	// --- delete the instance -----------------------------------------------------------
	await page.goto(`${BASE}/admin/instances/${instanceId}/connect`);
	await page.click('a:text("Disconnect and delete")');
	await page.click('button:text("Disconnect and delete")');
	await page.waitForURL(/done=deleted$/);
	ok((await page.textContent('.notice.ok')).includes('deleted'), 'the instance is disconnected and deleted');
	const gone = await fetch(`${SIM}/_sim/instances/${instanceName}`);
	ok(gone.status === 404, 'it is gone from the gateway server', gone.status);

	// --- complete without JavaScript ---------------------------------------------------
	const nojs = await browser.newContext({ javaScriptEnabled: false });
	await nojs.addCookies(cookies.filter((c) => c.name === 'wapool_session'));
	const p2 = await nojs.newPage();
	await p2.goto(`${BASE}/admin/`);
	ok(/^\d+$/.test((await p2.textContent('[data-stat=messages_today]')).trim()),
		'without JavaScript the dashboard is complete');
	await nojs.close();
	ok(pageErrors.length === 0, 'no JavaScript error on any page', pageErrors.join('\n'));
} catch (e) {
	ok(false, 'the browser run finished', e.stack || e);
	try {
		await page.screenshot({ path: join(artifacts, 'admin-failure.png'), fullPage: true });
	} catch { /* the page may be gone */ }
} finally {
	if (gatewayId !== null) {
		// Leave no active test server behind for the tests after this one.
		try {
			await page.goto(`${BASE}/admin/gateways`);
			const b = page.locator(`form[action="/admin/gateways/${gatewayId}/active"] button`);
			if ((await b.textContent()) === 'Deactivate')
				await b.click();
		} catch { /* reported above */ }
	}
	await browser.close();
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
