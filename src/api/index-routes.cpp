// (in progress)
#include "api/http.h"

namespace tributary::http {
void AddIndexRoutes(httplib::Server&, const RouteContext&) {}
}  // namespace tributary::http
