/**
 * Checks the e2e tests make on the page as a person sees and uses it: what is inside the viewport,
 * horizontal overflow, keyboard reach, and axe-core's accessibility rules.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');

/** Fails unless each locator's box lies wholly inside the viewport, with the page scrolled to the top. */
export async function assertInViewport(page, what, locators) {
  const { width, height } = page.viewportSize();
  const scrollY = await page.evaluate(() => window.scrollY);
  assert.equal(scrollY, 0, `${what}: the page is scrolled (${scrollY}px)`);
  for (const [name, locator] of Object.entries(locators)) {
    const box = await locator.boundingBox();
    assert.ok(box, `${what}: ${name} is not on the page`);
    const inside = box.x >= 0 && box.y >= 0 && box.x + box.width <= width + 0.5 && box.y + box.height <= height + 0.5;
    assert.ok(inside, `${what}: ${name} at x ${Math.round(box.x)}–${Math.round(box.x + box.width)}, y ${Math.round(box.y)}–${Math.round(box.y + box.height)} is not inside the ${width}×${height} viewport`);
  }
}

/** Fails when the page is wider than the viewport (something sticks out sideways). */
export async function assertNoHorizontalOverflow(page, what) {
  const { scrollWidth, innerWidth, widest } = await page.evaluate(() => {
    // The element that sticks out furthest, to name in the failure.
    let widest = '';
    let right = window.innerWidth;
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect().right;
      if (r > right + 0.5) {
        right = r;
        widest = `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''} (right edge ${Math.round(r)}px)`;
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, widest };
  });
  assert.ok(scrollWidth <= innerWidth, `${what}: the page is ${scrollWidth - innerWidth}px wider than the ${innerWidth}px viewport; widest: ${widest}`);
}

/**
 * Runs axe-core on the page as it is and fails on any serious or critical violation (the lesser
 * ones are returned, to log). axe is injected once per document.
 */
export async function assertAccessible(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  const severe = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    severe.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(', ')})`),
    [],
    `${what}: axe-core found serious or critical violations`,
  );
  return violations.map((v) => `${v.impact} ${v.id} (${v.targets.length} nodes)`);
}

/**
 * Presses Tab from the top of the page until focus comes back round, then fails if a visible,
 * enabled control was never focused. Radio buttons count once per group and tabs once per tab list
 * (arrow keys move within those, as their ARIA patterns say). Returns how many stops there were.
 */
export async function assertKeyboardReachesEverything(page, what) {
  await page.evaluate(() => {
    window.__focused = new Set();
    window.__onFocus = (e) => window.__focused.add(e.target);
    document.addEventListener('focusin', window.__onFocus);
    // Start from the top: Chrome's Tab otherwise goes on from the last element clicked.
    const start = document.createElement('span');
    start.id = '__kb-start';
    start.tabIndex = -1;
    document.body.prepend(start);
    start.focus();
  });
  const limit = await page.evaluate(() => document.querySelectorAll('button, input, select, textarea, summary, a[href], [tabindex]').length + 10);
  let stops = 0;
  for (; stops < limit; stops++) {
    await page.keyboard.press('Tab');
    const wrapped = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || el.id === '__kb-start') return true;
      if (el.dataset.kbSeen) return true;
      el.dataset.kbSeen = '1';
      return false;
    });
    if (wrapped) break;
  }
  const missed = await page.evaluate(() => {
    document.removeEventListener('focusin', window.__onFocus);
    document.getElementById('__kb-start')?.remove();
    document.activeElement?.blur();
    window.scrollTo(0, 0);
    const reached = window.__focused;
    const isShown = (el) => el.checkVisibility({ visibilityProperty: true }) && el.getClientRects().length > 0;
    const describe = (el) => `${el.tagName.toLowerCase()}${el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : ''} "${(el.getAttribute('aria-label') || el.textContent || el.name || '').trim().slice(0, 40)}"`;
    const missed = [];
    for (const el of document.querySelectorAll('button, input, select, textarea, summary, a[href], [tabindex]')) {
      delete el.dataset.kbSeen;
      if (!isShown(el) || el.matches(':disabled')) continue;
      if (el.getAttribute('role') === 'tab') {
        if (![...el.closest('[role=tablist]').querySelectorAll('[role=tab]')].some((t) => reached.has(t))) missed.push(describe(el));
        continue;
      }
      if (el.getAttribute('tabindex') === '-1') continue;
      if (el.type === 'radio') {
        if (![...document.querySelectorAll(`input[type=radio][name="${el.name}"]`)].some((r) => reached.has(r))) missed.push(describe(el));
        continue;
      }
      if (!reached.has(el)) missed.push(describe(el));
    }
    return missed;
  });
  assert.deepEqual(missed, [], `${what}: Tab never reached these controls (${stops} stops)`);
  return stops;
}
