// The supervisors' dashboard: plain JavaScript over the /v1 query API, no libraries.
'use strict';

const GRADE_ZH = { exemplary: '示范', standard: '规范', passing: '达标', failing: '不达标', unrated: '未评定' };
const GRADES = ['exemplary', 'standard', 'passing', 'failing'];
const COLORS = { exemplary: '#2a9d8f', standard: '#457b9d', passing: '#e9c46a', failing: '#e63946', unrated: '#9aa5b1' };
const CATEGORY_ZH = { commodity: '商品住宅', mixed: '混合型', relocation: '动迁安置', affordable: '保障性住房', scattered_public: '售后公房（零星）' };
const STATUS_ZH = { interview_due: '待约谈', rectifying: '整改中', rectified: '已整改', escalated: '移交处罚', sanctioned: '已处罚' };
const STEP_ZH = {
  opened: '评定为不达标并公开，启动约谈程序', interview_held: '约谈物业服务企业', rectification_submitted: '提交整改报告',
  rectified: '复查合格，整改完成', escalated: '逾期未改，移交市场监管、城管、公安', sanction_recorded: '部门处罚记录', sanctioned: '处罚完成',
};
const WHAT_ZH = { interview: '约谈', rectification: '整改' };
const DEDUCTION_ZH = {
  hotline_substantiated: '12345热线属实投诉', hotline_late: '热线逾期办结', petition_substantiated: '属实信访',
  credit_point: '信用记分', finding: '部门检查发现问题', spot_check_failed: '抽查不合格',
};
const SCORE_ZH = {
  basic_management: '物业基础管理', cleaning: '保洁服务', security_patrol: '安全巡查', order: '秩序维护',
  greening: '绿化养护', equipment: '设备管理', satisfaction: '居民满意度',
};

const state = { token: sessionStorage.getItem('jiayuan.token'), me: null, year: null };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function gradeBadge(g) {
  return el('span', { class: 'grade g-' + g, 'data-grade': g }, GRADE_ZH[g] || g);
}

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: 'Bearer ' + state.token } });
  const body = await res.json();
  if (!res.ok) {
    const err = new Error(body.detail || res.statusText);
    err.status = res.status;
    throw err;
  }
  return body;
}

// A list as a file (?format=csv|xlsx): fetched with the token, saved under the server's name.
async function download(path) {
  const res = await fetch(path, { headers: { Authorization: 'Bearer ' + state.token } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    const err = new Error(body.detail || res.statusText);
    err.status = res.status;
    throw err;
  }
  const blob = await res.blob();
  const named = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
  const a = el('a', { href: URL.createObjectURL(blob), download: named ? named[1] : 'jiayuan' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

// 下载 CSV / 下载 Excel for the list at `path` (its filters and year as shown).
function downloads(path) {
  const sep = path.includes('?') ? '&' : '?';
  const button = (format, label) => el('button', {
    type: 'button', class: 'download', 'data-format': format,
    onclick: () => download(path + sep + 'format=' + format).catch(fail),
  }, label);
  return el('span', { class: 'downloads no-print' }, button('csv', '下载 CSV'), ' ', button('xlsx', '下载 Excel'));
}

function show(...nodes) {
  const view = document.getElementById('view');
  view.replaceChildren(...nodes);
  view.hidden = false;
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', location.hash.startsWith(a.getAttribute('href')));
  }
}

function fail(e) {
  if (e.status === 401) return logout('令牌无效或已失效：' + e.message);
  show(el('div', { class: 'card error', id: 'error', role: 'alert' }, '无法显示：', e.message));
}

// ---- 全区概览 ----------------------------------------------------------------------------
function mixChart(lines, targets) {
  // One bar per street: the share of each grade among rated communities, with the 达标 target.
  const width = 720, row = 28, left = 120, barW = width - left - 60;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', lines.length * row + 30);
  svg.setAttribute('id', 'mix-chart');
  const add = (tag, attrs, text) => {
    const n = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.append(n);
  };
  lines.forEach((l, i) => {
    const y = i * row + 4;
    add('text', { x: 0, y: y + 16 }, l.street_name || l.street || '全区');
    let x = left;
    for (const g of GRADES) {
      const n = l.grade_mix[g] || 0;
      const w = l.rated ? (barW * n) / l.rated : 0;
      if (w > 0) add('rect', { x, y, width: w, height: row - 8, fill: COLORS[g] }, undefined);
      x += w;
    }
    add('text', { x: left + barW + 6, y: y + 16 }, (l.share_passing_or_better ?? '—') + '%');
  });
  if (targets) {
    const tx = left + (barW * Number(targets.passing_or_better)) / 100;
    add('line', { x1: tx, x2: tx, y1: 0, y2: lines.length * row, stroke: '#111', 'stroke-dasharray': '4 3' });
    add('text', { x: Math.max(left, tx - 60), y: lines.length * row + 18 }, '达标率目标 ' + targets.passing_or_better + '%');
  }
  return svg;
}

function legend() {
  return el('p', {}, GRADES.map((g) => [gradeBadge(g), ' ']), el('span', { class: 'muted' }, '（条形自左向右：示范、规范、达标、不达标；示范至达标部分达到虚线即完成达标率目标）'));
}

async function overview() {
  const t = await api('/v1/targets' + (state.year ? '?year=' + state.year : ''));
  state.year = t.year;
  const lines = [t.district, ...t.streets];
  const met = (ok) => el('span', { class: ok ? 'met' : 'missed' }, ok ? '达成' : '未达成');
  const rows = lines.map((l) =>
    el('tr', {}, el('td', {}, l.street_name || '全区'), el('td', {}, l.rated),
      GRADES.map((g) => el('td', {}, l.grade_mix[g] || 0)),
      el('td', {}, (l.share_passing_or_better ?? '—') + '% ', met(l.met_passing_or_better)),
      el('td', {}, (l.share_standard ?? '—') + '% ', met(l.met_standard)),
      el('td', {}, (l.share_exemplary ?? '—') + '% ', met(l.met_exemplary))));
  const tg = t.targets;
  show(
    el('div', { class: 'card', id: 'overview' },
      el('h2', {}, t.year + ' 年度评定结果'),
      tg ? el('p', {}, '年度目标：达标率 ≥ ', tg.passing_or_better, '%，规范 ≥ ', tg.standard, '%，示范 ≥ ', tg.exemplary, '%') : el('p', {}, '本年度未设目标'),
      legend(),
      mixChart(t.streets.length ? t.streets : [t.district], tg)),
    el('div', { class: 'card' },
      el('h3', {}, '各街镇目标完成情况 ', downloads('/v1/targets?year=' + t.year)),
      el('table', { id: 'targets' },
        el('tr', {}, ['街镇', '已评定', '示范', '规范', '达标', '不达标', '达标率', '规范占比', '示范占比'].map((h) => el('th', {}, h))),
        rows)));
}

// ---- 小区名录 ----------------------------------------------------------------------------
async function communities(params) {
  const q = new URLSearchParams(params);
  if (state.year && !q.has('year')) q.set('year', state.year);
  const list = await everyCommunity(q);  // every page: a district has more communities than one holds
  list.total = list.items.length;
  const select = (name, options) =>
    el('label', {}, name.label + ' ',
      el('select', { name: name.key, onchange: (ev) => { const p = new URLSearchParams(params); if (ev.target.value) p.set(name.key, ev.target.value); else p.delete(name.key); location.hash = '#/communities?' + p.toString(); } },
        el('option', { value: '' }, '全部'),
        Object.entries(options).map(([k, v]) => { const o = el('option', { value: k }, v); if (params.get(name.key) === k) o.selected = true; return o; })));
  const streets = {};
  for (const c of list.items) streets[c.street] = c.street_name;
  const rows = list.items.map((c) =>
    el('tr', { class: 'link', 'data-community': c.community, 'data-street': c.street, onclick: () => { location.hash = '#/community/' + c.community; } },
      el('td', {}, c.community), el('td', {}, c.name), el('td', {}, c.street_name), el('td', {}, CATEGORY_ZH[c.category] || c.category),
      el('td', { class: 'company' }, c.company_name || c.company || '—'),
      el('td', {}, c.tier || '—'), el('td', {}, c.final_score || '—'), el('td', {}, gradeBadge(c.grade))));
  const filtered = new URLSearchParams(params);
  filtered.set('year', list.year);
  show(el('div', { class: 'card' },
    el('h2', {}, '小区名录（', list.year, ' 年度，共 ', list.total, ' 个） ', downloads('/v1/communities?' + filtered.toString())),
    el('div', { class: 'filters' },
      state.me.scope === 'street' ? null : select({ key: 'street', label: '街镇' }, streets),
      select({ key: 'grade', label: '评定等级' }, GRADE_ZH),
      select({ key: 'tier', label: '收费档次' }, { T1: 'T1', T2: 'T2', T3: 'T3' }),
      select({ key: 'category', label: '小区类型' }, CATEGORY_ZH)),
    el('table', { id: 'communities' },
      el('tr', {}, ['编号', '小区名称', '街镇', '类型', '物业服务企业', '档次', '综合得分', '等级'].map((h) => el('th', {}, h))), rows)));
}

// ---- 小区详情 ----------------------------------------------------------------------------
function explanation(r) {
  const x = r.explanation;
  const parts = [el('p', {}, '收费档次 ', x.tier, '；等级线：示范 ≥ ', x.thresholds.exemplary, '，规范 ≥ ', x.thresholds.standard, '，达标 ≥ ', x.thresholds.passing)];
  if (x.service_score) {
    parts.push(el('p', {}, '服务得分 ', el('b', {}, x.service_score), '（各项加权平均，权重合计 ', x.weight_divisor, '）'));
    parts.push(el('table', { class: 'scores' }, el('tr', {}, ['项目', '权重', '次数', '平均分'].map((h) => el('th', {}, h))),
      x.scores.map((s) => el('tr', {}, el('td', {}, SCORE_ZH[s.name] || s.name), el('td', {}, s.weight), el('td', {}, s.count), el('td', {}, s.mean)))));
  } else {
    parts.push(el('p', {}, '本年度无检查记录，无服务得分'));
  }
  parts.push(x.deductions.length
    ? el('table', { class: 'deductions' }, el('tr', {}, ['扣分项', '件数', '每件', '上限', '扣分'].map((h) => el('th', {}, h))),
      x.deductions.map((d) => el('tr', {}, el('td', {}, DEDUCTION_ZH[d.kind] || d.kind, d.detail ? '（' + d.detail + '）' : ''), el('td', {}, d.count), el('td', {}, d.per_item), el('td', {}, d.cap), el('td', {}, d.amount))))
    : el('p', {}, '扣分：无'));
  parts.push(el('p', {}, '扣分合计 ', x.deductions_total, '；综合得分 ', el('b', { class: 'final-score' }, x.final_score || '—')));
  parts.push(el('p', {}, '一票否决：', x.vetoes.length ? x.vetoes.join('；') : '无'));
  parts.push(el('p', { class: 'muted' }, '规则集 ', x.rule_set.id, '（', x.rule_set.hash.slice(0, 12), '…）'));
  return el('div', { class: 'explanation' }, parts);
}

function timeline(view) {
  const items = [];
  for (const r of view.ratings) {
    if (r.decided_on) items.push([r.decided_on, r.year + ' 年度评定为 ' + (GRADE_ZH[r.grade] || r.grade)]);
    if (r.published_on) items.push([r.published_on, r.year + ' 年度评定结果公开']);
  }
  for (const c of view.cases) {
    for (const s of c.steps) {
      items.push([s.on, (STEP_ZH[s.step] || s.step) + (s.department ? '（' + s.department + '）' : '') + (s.due ? '，期限 ' + s.due : '')]);
    }
  }
  items.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return el('ul', { class: 'timeline', id: 'timeline' }, items.map(([d, t]) => el('li', {}, el('time', {}, d), t)));
}

// What changed after it was first decided (a late fact, a retraction), newest first.
const KIND_ZH = { 'community.rated': '评定', 'community.published': '公开', 'case.revised': '处置过程' };
function outcomeText(o) {
  if (!o) return '无';
  if ('status' in o) return STATUS_ZH[o.status] || o.status || '无';
  return (o.grade ? GRADE_ZH[o.grade] || o.grade : '未评定') + (o.final_score ? ' ' + o.final_score : '');
}
function revisions(list) {
  return el('ul', { class: 'revisions', id: 'revisions' }, [...list].reverse().map((r) =>
    el('li', {}, el('time', {}, r.log_date), r.year, ' 年度', KIND_ZH[r.kind] || r.kind, '：', outcomeText(r.before), ' → ', outcomeText(r.after),
      '（', r.cause.source, '/', r.cause.id, '）', r.after_publication ? el('b', { class: 'revised-after-publication' }, ' 公开后更正') : '')));
}

// "As published" beside "now": the grade the year's first revision after publication replaced.
function asPublished(v, latest) {
  const first = v.revisions.find((r) => r.year === latest.year && r.kind === 'community.rated' && r.after_publication);
  if (!first) return '';
  return el('span', { class: 'revised-after-publication', id: 'revised-badge' }, ' 公开后更正（公开时：', outcomeText(first.before), '；现在：',
    outcomeText({ grade: latest.grade, final_score: latest.explanation.final_score }), '）');
}

async function community(id) {
  const v = await api('/v1/communities/' + encodeURIComponent(id) + '?include=revisions');
  const ratings = [...v.ratings].filter((r) => r.grade).sort((a, b) => b.year - a.year);
  const latest = ratings[0];
  show(el('div', { class: 'card', id: 'community', 'data-community': v.community },
      el('h2', {}, v.name || v.community, ' ', el('span', { class: 'muted' }, v.community)),
      el('p', {}, v.street_name, '，', v.households, ' 户，收费 ', v.fee, ' 元/㎡·月，', v.enclosure === 'closed' ? '封闭式' : '开放式', '，', CATEGORY_ZH[v.category] || v.category),
      el('p', { id: 'company' }, '物业服务企业 ', v.company ? el('a', { href: '#/company/' + v.company }, v.company_name ? v.company_name + '（' + v.company + '）' : v.company) : '—', '，项目经理 ', v.manager_name ? v.manager_name + '（' + v.manager + '）' : v.manager || '—'),
      latest ? el('h3', { id: 'grade' }, latest.year, ' 年度评定：', gradeBadge(latest.grade), asPublished(v, latest)) : el('p', {}, '尚未评定')),
    latest ? el('div', { class: 'card' }, el('h3', {}, '评定依据'), explanation(latest)) : '',
    el('div', { class: 'card' }, el('h3', {}, '处置过程'), timeline(v)),
    v.revisions.length ? el('div', { class: 'card' }, el('h3', {}, '更正记录（首次决定后的变更，按得知先后）'), revisions(v.revisions)) : '');
}

// ---- 物业服务企业 ------------------------------------------------------------------------
async function companies() {
  const [list, awards] = await Promise.all([
    api('/v1/companies?limit=1000' + (state.year ? '&year=' + state.year : '')),
    api('/v1/awards' + (state.year ? '?year=' + state.year : '')),
  ]);
  const named = (c) => c.company_name ? [c.company_name, ' ', el('span', { class: 'muted' }, c.company)] : c.company;
  const row = (c) => el('tr', { class: 'link', 'data-company': c.company, onclick: () => { location.hash = '#/company/' + c.company; } },
    el('td', {}, c.rank || '—'), el('td', { class: 'company' }, named(c)), el('td', {}, c.projects),
    GRADES.map((g) => el('td', {}, c.grade_mix[g] || 0)), el('td', {}, c.credit_points), el('td', {}, c.composite ?? '—'), el('td', {}, c.eligible ? '是' : '否'));
  const head = el('tr', {}, ['排名', '企业', '项目数', '示范', '规范', '达标', '不达标', '信用记分', '综合得分', '参评'].map((h) => el('th', {}, h)));
  show(
    el('div', { class: 'card' }, el('h2', {}, list.year, ' 年度十佳物业服务企业 ', downloads('/v1/awards?year=' + list.year)),
      el('table', { id: 'top-ten' }, head.cloneNode(true), awards.top_ten.map(row))),
    el('div', { class: 'card' }, el('h3', {}, '优秀小区（', awards.excellent_communities.length, '）与优秀项目经理（', awards.excellent_managers.length, '）'),
      el('p', { id: 'excellent-communities' }, awards.excellent_communities.map((c) => (c.community_name || c.community) +
        (c.company_name ? '（' + c.company_name + '）' : '')).join('、') || '无'),
      el('p', {}, awards.excellent_managers.map((m) => (m.manager_name ? m.manager_name + ' ' : '') + m.manager + '（' + m.mean_final_score + '）').join('、') || '无')),
    el('div', { class: 'card' }, el('h3', {}, '企业排名 ', downloads('/v1/companies?year=' + list.year)), el('table', { id: 'companies' }, head, list.items.map(row))));
}

// ---- 企业详情 ----------------------------------------------------------------------------
// A company: its standing factors this year, its projects with their grades, its years.
const FACTOR_ZH = { results: '评定结果', inspections: '检查', hotline: '热线', petitions: '信访', media: '媒体', social: '社会评价' };
async function company(id) {
  const year = state.year || (await api('/v1/targets')).year;
  state.year = year;
  const q = new URLSearchParams({ year });
  const [list, all] = await Promise.all([api('/v1/companies?limit=1000&year=' + year), everyCommunity(q)]);
  const c = list.items.find((x) => x.company === id);
  if (!c) throw Object.assign(new Error('企业 ' + id + ' 在 ' + year + ' 年度没有项目'), { status: 404 });
  const projects = all.items.filter((p) => p.company === id);
  // Its years: each year a rule set defines that has it among the standings (up to five back).
  const years = await Promise.all([0, 1, 2, 3, 4].map((k) => api('/v1/companies?limit=1000&year=' + (year - k))
    .then((l) => ({ year: year - k, c: l.items.find((x) => x.company === id) }), () => null)));
  const history = years.filter((y) => y && y.c);
  show(
    el('div', { class: 'card', id: 'company-page', 'data-company': id },
      el('h2', {}, c.company_name || id, ' ', el('span', { class: 'muted' }, id)),
      el('p', {}, year, ' 年度：排名 ', c.rank || '—', '，综合得分 ', c.composite ?? '—', '，', c.eligible ? '参评十佳' : '不参评十佳（须有示范项目且无不达标项目）',
        '，信用记分 ', c.credit_points, '，项目 ', c.projects, ' 个（参评 ', c.rated_projects, ' 个）'),
      el('table', { id: 'factors' }, el('tr', {}, Object.values(FACTOR_ZH).map((h) => el('th', {}, h))),
        el('tr', {}, Object.keys(FACTOR_ZH).map((k) => el('td', {}, c.factors_percent ? (c.factors_percent[k] ?? '—') : '—'))))),
    el('div', { class: 'card' }, el('h3', {}, '服务项目（', projects.length, ' 个）'),
      el('table', { id: 'projects' }, el('tr', {}, ['编号', '小区名称', '街镇', '综合得分', '等级'].map((h) => el('th', {}, h))),
        projects.map((p) => el('tr', { class: 'link', 'data-community': p.community, onclick: () => { location.hash = '#/community/' + p.community; } },
          el('td', {}, p.community), el('td', {}, p.name), el('td', {}, p.street_name), el('td', {}, p.final_score || '—'), el('td', {}, gradeBadge(p.grade)))))),
    el('div', { class: 'card' }, el('h3', {}, '历年情况'),
      el('table', { id: 'history' }, el('tr', {}, ['年度', '排名', '综合得分', '项目数', '示范', '规范', '达标', '不达标', '参评'].map((h) => el('th', {}, h))),
        history.map((y) => el('tr', {}, el('td', {}, y.year), el('td', {}, y.c.rank || '—'), el('td', {}, y.c.composite ?? '—'), el('td', {}, y.c.projects),
          GRADES.map((g) => el('td', {}, y.c.grade_mix[g] || 0)), el('td', {}, y.c.eligible ? '是' : '否'))))));
}

// ---- 逾期事项 ----------------------------------------------------------------------------
async function cases() {
  const list = await api('/v1/cases?limit=1000');
  const rows = list.items.map((c) =>
    el('tr', { class: 'link', onclick: () => { location.hash = '#/community/' + c.community; } },
      el('td', {}, c.community_name ? c.community_name + ' ' : '', el('span', { class: 'muted' }, c.community)), el('td', {}, c.street_name || ''),
      el('td', {}, c.year), el('td', {}, STATUS_ZH[c.status] || c.status),
      el('td', {}, c.open.map((o) => (WHAT_ZH[o.what] || o.what.replace('sanction:', '处罚：')) + ' 期限 ' + o.due).join('；')),
      el('td', {}, c.days_overdue)));
  show(el('div', { class: 'card' }, el('h2', {}, '逾期未办结事项（截至 ', list.as_of, '，共 ', list.total, ' 件） ',
    downloads('/v1/cases?as_of=' + list.as_of)),
    el('table', { id: 'cases' }, el('tr', {}, ['小区', '街镇', '年度', '状态', '待办事项', '逾期天数'].map((h) => el('th', {}, h))), rows)));
}

// ---- 结果公示 ----------------------------------------------------------------------------
// The published ratings of a year (and a street), as the bureau posts them: printable on A4.
async function everyCommunity(q) {
  const items = [];
  for (let cursor = null; ;) {
    const page = await api('/v1/communities?' + q.toString() + '&limit=1000' + (cursor ? '&cursor=' + cursor : ''));
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) return { year: page.year, items };
  }
}

async function publicList(params) {
  const q = new URLSearchParams();
  if (params.get('year') || state.year) q.set('year', params.get('year') || state.year);
  if (params.get('street')) q.set('street', params.get('street'));
  const [list, awards] = await Promise.all([everyCommunity(q), api('/v1/awards' + (q.has('year') ? '?year=' + q.get('year') : ''))]);
  const published = list.items.filter((c) => c.published_on && c.grade !== 'unrated');
  const dates = [...new Set(published.map((c) => c.published_on))].sort();
  const streetName = state.me.scope === 'street' ? state.me.street_name
    : params.get('street') ? (list.items[0] || {}).street_name || params.get('street') : null;
  const counts = GRADES.map((g) => GRADE_ZH[g] + ' ' + published.filter((c) => c.grade === g).length + ' 个').join('，');
  const streets = {};
  for (const c of list.items) streets[c.street] = c.street_name;
  const choose = state.me.scope === 'street' ? null : el('label', { class: 'no-print' }, '街镇 ',
    el('select', { name: 'street', onchange: (ev) => { const p = new URLSearchParams(params); if (ev.target.value) p.set('street', ev.target.value); else p.delete('street'); location.hash = '#/public?' + p.toString(); } },
      el('option', { value: '' }, '全区'),
      Object.entries(streets).map(([k, v]) => { const o = el('option', { value: k }, v); if (params.get('street') === k) o.selected = true; return o; })));
  show(el('article', { class: 'card public-list', id: 'public-list' },
    el('p', { class: 'no-print' }, choose, ' ', el('button', { type: 'button', id: 'print', onclick: () => window.print() }, '打印 / 另存为 PDF')),
    el('h2', { class: 'public-title' }, '松江区', streetName ? streetName : '', ' ', list.year, ' 年度住宅小区物业服务评定结果公示'),
    el('p', {}, '根据《松江区住宅小区“美丽家园”建设实施方案》（沪松府〔2022〕134号），现将 ', list.year,
      ' 年度住宅小区物业服务评定结果予以公示。评定规则：', awards.rule_set.id, '。'),
    el('p', { id: 'publication-date' }, '公布日期：', dates.length ? dates.join('、') : '尚未公布'),
    el('table', { id: 'public-table' },
      el('thead', {}, el('tr', {}, ['序号', '小区名称', '小区编号', '街镇', '物业服务企业', '评定等级'].map((h) => el('th', {}, h)))),
      el('tbody', {}, published.map((c, i) => el('tr', { 'data-community': c.community },
        el('td', {}, i + 1), el('td', {}, c.name), el('td', {}, c.community), el('td', {}, c.street_name),
        el('td', {}, c.company_name || c.company || '—'), el('td', {}, c.grade_zh))))),
    el('p', {}, '共 ', published.length, ' 个小区：', counts, '。'),
    el('p', { class: 'muted' }, '仅列已公布的评定结果；未评定或尚未公布的小区不在此列。')));
}

// ---- 数据报送（a department's page） -------------------------------------------------------
const TYPE_ZH = {
  'community.registered': '小区登记', 'community.changed': '小区信息变更', 'fee.adjusted': '物业费调整',
  'contract.assigned': '物业服务合同', 'company.registered': '物业服务企业登记', inspection: '检查评分', survey: '满意度测评',
  'hotline.complaint': '12345热线工单', petition: '信访', 'credit.points': '信用记分', finding: '部门检查发现',
  'safety.incident': '安全事故', 'media.report': '媒体报道', 'street.proposal': '街镇推荐意见', 'department.opinion': '部门意见',
  'interview.held': '约谈', 'rectification.submitted': '整改报告', reinspection: '复查', 'sanction.applied': '处罚',
  'committee.elected': '业委会换届', 'party.branch.established': '党组织组建', 'governance.completed': '治理事项完成',
  'waste.sorting.inspection': '垃圾分类检查', 'spot.check': '抽查', 'ratings.published': '评定结果公开',
  'review.closed': '复核办结', 'social.responsibility': '社会责任',
};
const VERDICT_ZH = { accepted: '已接收', duplicate: '已存在（未重复导入）', rejected: '被拒收' };
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const typeLabel = (name) => (TYPE_ZH[name] ? TYPE_ZH[name] + '（' + name + '）' : name);

function saveText(name, text, type) {
  const a = el('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

function csvLine(cells) {
  return cells.map((c) => '"' + String(c ?? '').replace(/"/g, '""') + '"').join(',') + '\r\n';
}

// This browser's recent uploads (the server keeps the facts and the dead letters, not the files).
function recentUploads() {
  try { return JSON.parse(localStorage.getItem('jiayuan.uploads.' + state.me.department) || '[]'); } catch (e) { return []; }
}

function rejectedCard(dead) {
  const rows = dead.items.map((d) => el('tr', {}, el('td', {}, d.offset), el('td', {}, d.origin), el('td', {}, d.reason)));
  const waiting = dead.waiting.map((w) => el('tr', {}, el('td', {}, w.id), el('td', {}, w.community), el('td', {}, w.occurred),
    el('td', {}, w.status === 'waiting' ? '等待该小区登记' : w.reason || w.status)));
  return el('div', { class: 'card', id: 'rejected' },
    el('h3', {}, '本部门被拒收的数据（', dead.items.length, dead.next_cursor ? '+' : '', ' 条）'),
    rows.length ? el('table', { id: 'dead-letters' }, el('tr', {}, ['序号', '来源', '原因'].map((h) => el('th', {}, h))), rows) : el('p', {}, '无'),
    el('h3', {}, '已接收、等待小区登记的数据（', waiting.length, ' 条）'),
    waiting.length ? el('table', { id: 'waiting' }, el('tr', {}, ['编号', '小区', '日期', '状态'].map((h) => el('th', {}, h))), waiting) : el('p', {}, '无'));
}

async function sendFile(type, file, report) {
  if (!file) return report.replaceChildren(el('p', { class: 'error', id: 'upload-error', role: 'alert' }, '请先选择文件（CSV 或 Excel .xlsx）'));
  const xlsx = /\.xlsx$/i.test(file.name);
  const res = await fetch('/v1/imports?type=' + encodeURIComponent(type), {
    method: 'POST', body: await file.arrayBuffer(),
    headers: { Authorization: 'Bearer ' + state.token, 'Content-Type': xlsx ? XLSX_TYPE : 'text/csv' },
  });
  const a = await res.json();
  if (!res.ok) {
    return report.replaceChildren(el('p', { class: 'error', id: 'upload-error', role: 'alert' }, file.name, ' 未能导入：', a.detail || res.statusText));
  }
  const how = a.format === 'xlsx' ? 'Excel，工作表“' + a.sheet + '”' : 'CSV，' + a.encoding + (a.encoding_detected ? '，自动识别' : '');
  const summary = file.name + '（' + how + '）：共 ' + a.rows.length + ' 行，接收 ' + a.accepted + ' 行，已存在 ' + a.duplicates + ' 行，拒收 ' + a.rejected + ' 行';
  const lines = a.rows.map((r) => [r.row, VERDICT_ZH[r.status] || r.status, r.reason || r.waiting || '']);
  const uploads = recentUploads();
  uploads.unshift({ at: new Date().toLocaleString('zh-CN'), file: file.name, type, accepted: a.accepted, duplicates: a.duplicates, rejected: a.rejected });
  localStorage.setItem('jiayuan.uploads.' + state.me.department, JSON.stringify(uploads.slice(0, 20)));
  report.replaceChildren(
    el('p', { id: 'upload-summary', class: a.rejected ? 'missed' : 'met' }, summary, ' ',
      el('button', { type: 'button', id: 'report-download', class: 'no-print',
        onclick: () => saveText(file.name.replace(/\.[^.]*$/, '') + '-导入报告.csv', '\ufeff' + csvLine(['行号', '结果', '原因']) + lines.map(csvLine).join(''), 'text/csv') }, '下载报告')),
    el('table', { id: 'upload-report' }, el('tr', {}, ['行号', '结果', '原因'].map((h) => el('th', {}, h))),
      a.rows.map((r, i) => el('tr', { 'data-row': r.row, 'data-status': r.status, class: 'r-' + r.status }, lines[i].map((c) => el('td', {}, c))))));
  const dead = await api('/v1/dead-letters?limit=20');
  document.getElementById('rejected').replaceWith(rejectedCard(dead));
  document.getElementById('recent').replaceWith(recentCard());
}

function recentCard() {
  const uploads = recentUploads();
  return el('div', { class: 'card', id: 'recent' }, el('h3', {}, '最近上传（本浏览器）'),
    uploads.length ? el('table', {}, el('tr', {}, ['时间', '文件', '类型', '接收', '已存在', '拒收'].map((h) => el('th', {}, h))),
      uploads.map((u) => el('tr', {}, el('td', {}, u.at), el('td', {}, u.file), el('td', {}, typeLabel(u.type)), el('td', {}, u.accepted), el('td', {}, u.duplicates), el('td', {}, u.rejected))))
      : el('p', {}, '无'));
}

async function uploadPage(params) {
  const [list, dead] = await Promise.all([api('/v1/templates'), api('/v1/dead-letters?limit=20')]);
  const chosen = list.types.find((t) => t.name === params.get('type')) || list.types[0];
  if (!chosen) return show(el('div', { class: 'card' }, el('p', {}, '本部门没有可报送的数据类型')));
  const file = el('input', { type: 'file', id: 'file', accept: '.csv,.xlsx,text/csv,' + XLSX_TYPE });
  const report = el('div', { id: 'report' });
  show(
    el('div', { class: 'card', id: 'upload' },
      el('h2', {}, '数据报送：', state.me.department_name),
      el('p', {}, el('label', {}, '数据类型 ', el('select', { id: 'fact-type', onchange: (ev) => { location.hash = '#/upload?type=' + ev.target.value; } },
        list.types.map((t) => { const o = el('option', { value: t.name }, typeLabel(t.name)); if (t === chosen) o.selected = true; return o; })))),
      el('p', {}, '表头（中文或英文均可）：', chosen.columns.map((c) => c.header).join('、'), ' ', el('span', { class: 'muted' }, '模板'), downloads('/v1/templates/' + chosen.name)),
      el('p', {}, file, ' ', el('button', { type: 'button', id: 'upload-button', onclick: () => sendFile(chosen.name, file.files[0], report).catch(fail) }, '上传')),
      el('p', { class: 'muted' }, 'CSV 可为 UTF-8 或 GBK/GB18030（Excel 另存为“CSV（逗号分隔）”），自动识别；Excel 工作簿读取第一个工作表。同一文件重复上传不会重复导入。'),
      report),
    recentCard(),
    rejectedCard(dead));
}

// ---- routing and login -------------------------------------------------------------------
async function route() {
  if (!state.token) return;
  const [path, query] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  try {
    if (!state.me) state.me = await api('/v1/me');
    document.getElementById('who').textContent = state.me.description_zh;
    document.getElementById('nav').hidden = false;
    document.getElementById('login').hidden = true;
    const department = state.me.scope === 'department';
    for (const a of document.querySelectorAll('nav a')) a.hidden = (a.dataset.scope === 'department') !== department;
    if (department) return await uploadPage(params);  // a department sends; it reads nothing else
    if (path.startsWith('/community/')) return await community(decodeURIComponent(path.slice('/community/'.length)));
    if (path === '/communities') return await communities(params);
    if (path === '/companies') return await companies();
    if (path === '/cases') return await cases();
    if (path === '/public') return await publicList(params);
    if (path.startsWith('/company/')) return await company(decodeURIComponent(path.slice('/company/'.length)));
    return await overview();
  } catch (e) {
    fail(e);
  }
}

function logout(message) {
  sessionStorage.removeItem('jiayuan.token');
  state.token = null;
  state.me = null;
  document.getElementById('nav').hidden = true;
  document.getElementById('view').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-error').textContent = message || '';
}

document.getElementById('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.token = document.getElementById('token').value.trim();
  sessionStorage.setItem('jiayuan.token', state.token);
  if (!location.hash || location.hash === '#/') location.hash = '#/overview';  // a department's: its page
  route();
});
document.getElementById('logout').addEventListener('click', () => logout());
window.addEventListener('hashchange', route);
route();
