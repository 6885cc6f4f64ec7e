import type { Context } from 'koa';

import { KEY_TYPES, type ApplicationDetail, type KeyType } from '../applications/index.js';
import type { UsageSeries } from '../usage/index.js';
import { principalOf } from './access-guard.js';
import type { Portal } from './context.js';
import { usageChartSvg } from './usage-chart.js';

const LABELS: Record<KeyType, string> = { production: 'Production', sandbox: 'Sandbox' };

export interface UsageView {
  type: KeyType;
  label: string;
  day: string;
  month: string;
  totals: UsageSeries['totals'];
}

export function usageViews(series: Record<KeyType, UsageSeries>): UsageView[] {
  return KEY_TYPES.map((type) => ({
    type,
    label: `${LABELS[type]} keys`,
    day: usageChartSvg(series[type].day, { span: 'hours', label: `${LABELS[type]} keys, last 24 hours` }),
    month: usageChartSvg(series[type].month, { span: 'days', label: `${LABELS[type]} keys, last 30 days` }),
    totals: series[type].totals,
  }));
}

/** What an application's page shows beyond the application itself: usage, owner, and (for admins) transfer. */
export async function applicationExtras(p: Portal, ctx: Context, app: ApplicationDetail): Promise<Record<string, unknown>> {
  const usage = p.s.usage;
  // This instance's latest counts first, so what was just done shows.
  await usage.counters.flushNow();
  const series = await usage.report.forApplication(app.id);
  const admin = principalOf(ctx)?.role === 'admin';
  const accounts = admin ? (await p.s.accounts.accounts.list()).filter((a) => (a.status ?? 'active') !== 'disabled') : [];
  return {
    usage: usageViews(series),
    owner: app.owner,
    isAdmin: admin,
    transferTo: accounts.filter((a) => a._id !== app.owner).map((a) => ({ id: a._id, username: a.username, role: a.role })),
  };
}
