import type Router from '@koa/router';

import { notFound } from '../http/index.js';
import { principalOf } from './access-guard.js';
import { renderPage, type Portal } from './context.js';
import { usageChartSvg } from './usage-chart.js';

const TOP = 5;

/** The admin's overview: usage summed over every application, and the busiest applications. */
export function usagePages(router: Router, p: Portal): void {
  router.get('/overview', async (ctx) => {
    if (principalOf(ctx)?.role !== 'admin') throw notFound('not found');
    const usage = p.s.usage;
    await usage.counters.flushNow();
    const [overall, top, apps] = await Promise.all([
      usage.report.overall(), usage.report.top(TOP), p.apps.listAll(),
    ]);
    const names = new Map(apps.map((a) => [a.id, a]));
    renderPage(p, ctx, 'accounts/overview', {
      title: 'Usage',
      section: 'overview',
      usage: [{
        type: 'all',
        label: 'All applications',
        day: usageChartSvg(overall.day, { span: 'hours', label: 'All applications, last 24 hours' }),
        month: usageChartSvg(overall.month, { span: 'days', label: 'All applications, last 30 days' }),
        totals: overall.totals,
      }],
      top: top.map((t) => ({ ...t, app: names.get(t.application_id) })),
      applicationCount: apps.length,
    });
  });
}
