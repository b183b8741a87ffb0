/** The page's shell: no inline script or style (the CSP allows neither); base path and token in meta tags. */
export function renderPage(basePath: string, csrfToken: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="sk-base" content="${escapeHtml(basePath)}">
<meta name="sk-csrf" content="${escapeHtml(csrfToken)}">
<title>sessionkit dashboard</title>
<link rel="stylesheet" href="${escapeHtml(basePath)}/assets/dashboard.css">
<script src="${escapeHtml(basePath)}/assets/dashboard.js" defer></script>
</head><body>
<header><strong>sessionkit</strong>
<nav><a href="#/overview" id="nav-overview">Overview</a><a href="#/search" id="nav-search">Search</a><a href="#/events" id="nav-events">Live events</a><a href="#/ttl" id="nav-ttl">TTL audit</a></nav>
</header>
<main id="main"><p>Loading...</p></main>
</body></html>`;
}

export function renderUnauthorized(loginPath: string | undefined): string {
  const login = loginPath === undefined ? "" : `<p><a href="${escapeHtml(loginPath)}">Log in</a></p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>401 Unauthorized</title></head>
<body><h1>401 Unauthorized</h1><p>The sessionkit dashboard needs an authorized request.</p>${login}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
