//! A tower [`Layer`](tower_layer::Layer) that mounts Engine.IO beside the application's routes.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use tower_layer::Layer;
use tower_service::Service;

use crate::EngineServer;

/// The error type of the bodies the layer's service returns.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Routes requests on the server's path to it and the rest to the wrapped service.
#[derive(Clone, Debug)]
pub struct EngineLayer {
    server: EngineServer,
}

impl EngineLayer {
    /// A layer serving `server`.
    pub fn new(server: EngineServer) -> Self {
        EngineLayer { server }
    }
}

impl<S> Layer<S> for EngineLayer {
    type Service = EngineService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        EngineService {
            server: self.server.clone(),
            inner,
        }
    }
}

/// The service of [`EngineLayer`].
#[derive(Clone, Debug)]
pub struct EngineService<S> {
    server: EngineServer,
    inner: S,
}

impl<S, B, RB> Service<Request<B>> for EngineService<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Body + Unpin + Send + 'static,
    B::Data: Into<Bytes>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    type Response = Response<UnsyncBoxBody<Bytes, BoxError>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        if self.server.handles_path(req.uri().path()) {
            let server = self.server.clone();
            Box::pin(async move {
                let res = server.handle(req).await;
                Ok(res.map(|b| b.map_err(|never| match never {}).boxed_unsync()))
            })
        } else {
            let fut = self.inner.call(req);
            Box::pin(async move {
                let res = fut.await?;
                Ok(res.map(|b| b.map_err(Into::into).boxed_unsync()))
            })
        }
    }
}
