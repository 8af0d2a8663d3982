//! A small HTTP/1 client for posting to Warroom in tests (hyper, as slack-morphism uses).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// An answer: status and body text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// A client that keeps connections open between requests.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }
}

impl HttpClient {
    /// POSTs `body` with `headers` to `url`.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        content_type: &str,
        body: String,
    ) -> Answer {
        let mut request = hyper::Request::post(url).header("content-type", content_type);
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        let request = request.body(Full::new(Bytes::from(body))).unwrap();
        self.send(request).await
    }

    /// GETs `url`.
    pub async fn get(&self, url: &str) -> Answer {
        self.get_with(url, &[]).await
    }

    /// GETs `url` with `headers`.
    pub async fn get_with(&self, url: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = hyper::Request::get(url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let request = request.body(Full::new(Bytes::new())).unwrap();
        self.send(request).await
    }

    async fn send(&self, request: hyper::Request<Full<Bytes>>) -> Answer {
        let response = self.client.request(request).await.expect("Warroom answers");
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}
