# nginx answering CORS preflights over TLS with HTTP/2 on (nginx 1.22: `listen … ssl http2`), the
# same answer as corsgate's: ACAO, ACAM, Max-Age and Vary for the allowed origin, 403 otherwise.
worker_processes 1;
daemon off;
pid @DIR@/nginx.pid;
error_log @DIR@/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path @DIR@/body;
  proxy_temp_path @DIR@/proxy;
  fastcgi_temp_path @DIR@/fastcgi;
  uwsgi_temp_path @DIR@/uwsgi;
  scgi_temp_path @DIR@/scgi;
  map $http_origin $cors_allowed { default 0; "https://app.example.com" 1; }
  map "$request_method:$cors_allowed:$http_access_control_request_method" $preflight {
    default "";
    "~^OPTIONS:1:(GET|HEAD|POST|PUT|DELETE)$" allow;
    "~^OPTIONS:.*:.+$" deny;
  }
  server {
    listen 127.0.0.1:@PORT@ ssl http2 backlog=4096;
    ssl_certificate @DIR@/cert.pem;
    ssl_certificate_key @DIR@/key.pem;
    location / {
      if ($preflight = "deny") { add_header Vary Origin always; return 403; }
      if ($preflight = "allow") {
        add_header Access-Control-Allow-Origin $http_origin always;
        add_header Access-Control-Allow-Methods $http_access_control_request_method always;
        add_header Access-Control-Max-Age 600 always;
        add_header Vary Origin always;
        return 204;
      }
      return 404;
    }
  }
}
