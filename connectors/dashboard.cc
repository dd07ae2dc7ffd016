#include "connectors/dashboard.h"

#include "connectors/dashboard_assets.h"

namespace jiayuan {

void install_dashboard(HttpServer& server) {
  auto asset = [](std::string_view body, const char* type) {
    return [body, type](const HttpRequest&, HttpResponse& res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; style-src 'self'; img-src 'self' data:");
      res.set_content(std::string(body), type);
    };
  };
  server.route("GET", "/",
               [](const HttpRequest&, HttpResponse& res) { res.set_redirect("/dashboard/"); });
  server.route("GET", "/dashboard",
               [](const HttpRequest&, HttpResponse& res) { res.set_redirect("/dashboard/"); });
  server.route("GET", "/dashboard/", asset(kDashboardHtml, "text/html; charset=utf-8"));
  server.route("GET", "/dashboard/app.js", asset(kDashboardJs, "text/javascript; charset=utf-8"));
  server.route("GET", "/dashboard/style.css", asset(kDashboardCss, "text/css; charset=utf-8"));
}

}  // namespace jiayuan
