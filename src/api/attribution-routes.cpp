// (in progress)
#include "api/http.h"

namespace tributary::http {
void AddAttributionRoutes(httplib::Server&, const RouteContext&) {}
}  // namespace tributary::http
