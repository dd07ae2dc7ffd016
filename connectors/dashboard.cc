#include "connectors/dashboard.h"

#include <httplib.h>

#include "connectors/dashboard_assets.h"

namespace jiayuan {

void install_dashboard(HttpServer& server) {
  httplib::Server& s = server.routes();
  auto asset = [](std::string_view body, const char* type) {
    return [body, type](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; style-src 'self'; img-src 'self' data:");
      res.set_content(std::string(body), type);
    };
  };
  s.Get("/",
        [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/dashboard/"); });
  s.Get("/dashboard",
        [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/dashboard/"); });
  s.Get("/dashboard/", asset(kDashboardHtml, "text/html; charset=utf-8"));
  s.Get("/dashboard/app.js", asset(kDashboardJs, "text/javascript; charset=utf-8"));
  s.Get("/dashboard/style.css", asset(kDashboardCss, "text/css; charset=utf-8"));
}

}  // namespace jiayuan
