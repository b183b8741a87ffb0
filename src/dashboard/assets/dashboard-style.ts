/** The dashboard's stylesheet, served from the handler (no CDN: the page works offline). */
export const DASHBOARD_STYLE = `
:root{--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--accent:#2f6fde;--bad:#c4320a;--warn:#b54708;--ok:#067647}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);margin:0;background:#f8f9fb}
header{display:flex;gap:2rem;align-items:center;padding:.8rem 1.5rem;background:#101828;color:#fff}
header nav a{color:#d0d5dd;margin-right:1.2rem;text-decoration:none}
header nav a.active{color:#fff;border-bottom:2px solid #fff}
main{max-width:72rem;margin:1.5rem auto;padding:0 1.5rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.5rem 0 .6rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.8rem}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem}
.card .value{font-size:1.6rem;font-weight:600}.card .label{color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:.8rem}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:.6rem}
figcaption{color:var(--muted);margin-bottom:.3rem}
.chart{width:100%;height:auto}.chart .bar{fill:var(--accent)}
.chart text{font-size:10px;text-anchor:middle;fill:var(--muted)}.chart .count{fill:var(--fg)}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f2f4f7;font-weight:600}
code,pre{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:#fff;border:1px solid var(--line);padding:.8rem;overflow:auto}
.status-ok{color:var(--ok)}.status-warn{color:var(--warn)}.status-fail{color:var(--bad)}
form.search{display:flex;gap:.5rem;margin-bottom:1rem}
input,select,button{font:inherit;padding:.35rem .6rem;border:1px solid #d0d5dd;border-radius:6px;background:#fff}
button{cursor:pointer}button.danger{color:#fff;background:var(--bad);border-color:var(--bad)}
.error{color:var(--bad)}.muted{color:var(--muted)}
#event-list li{padding:.3rem 0;border-bottom:1px solid var(--line);list-style:none}
#event-list{padding:0;background:#fff;border:1px solid var(--line);min-height:3rem}
`;
