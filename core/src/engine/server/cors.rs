//! CORS headers, as the `cors` npm package writes them for the reference.

use super::request::Headers;
use super::{AllowedOrigins, Cors, Request};
use crate::Str;

/// The headers of an ordinary (non-preflight) answer.
pub(crate) fn headers(cors: Option<&Cors>, req: &Request) -> Headers {
    let mut h = Headers::new();
    if let Some(cors) = cors {
        origin_headers(cors, req, &mut h);
        if cors.credentials {
            h.push(("access-control-allow-credentials", Str::from_static("true")));
        }
    }
    h
}

/// The headers of the 204 answer to a preflight `OPTIONS`.
pub(crate) fn preflight_headers(cors: &Cors, req: &Request) -> Headers {
    let mut h = headers(Some(cors), req);
    h.push((
        "access-control-allow-methods",
        Str::from_static("GET,HEAD,PUT,PATCH,POST,DELETE"),
    ));
    if let Some(asked) = &req.access_control_request_headers {
        // The package reflects the asked headers when none are configured.
        h.push(("access-control-allow-headers", Str::from(asked.clone())));
        match h.iter_mut().find(|(n, _)| *n == "vary") {
            Some((_, v)) => *v = Str::from(format!("{v}, Access-Control-Request-Headers")),
            None => h.push(("vary", Str::from_static("Access-Control-Request-Headers"))),
        }
    }
    h
}

fn origin_headers(cors: &Cors, req: &Request, h: &mut Headers) {
    let allowed = match &cors.origins {
        AllowedOrigins::Any => {
            h.push(("access-control-allow-origin", Str::from_static("*")));
            return;
        }
        AllowedOrigins::Reflect => req.origin.as_deref(),
        AllowedOrigins::List(list) => req
            .origin
            .as_deref()
            .filter(|o| list.iter().any(|a| a == o)),
    };
    if let Some(origin) = allowed {
        h.push(("access-control-allow-origin", Str::from(origin.to_owned())));
    }
    h.push(("vary", Str::from_static("Origin")));
}
