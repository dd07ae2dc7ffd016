// The supervisors' dashboard: one page in Chinese (connectors/dashboard/), embedded in the
// binary and served at /dashboard/; it reads the /v1 query API with the token given at login.
//
//   install_dashboard(server);   // GET /, /dashboard/, /dashboard/app.js, /dashboard/style.css
#pragma once

#include "connectors/http_server.h"

namespace jiayuan {

void install_dashboard(HttpServer& server);

}  // namespace jiayuan
