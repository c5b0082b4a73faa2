# nginx doing the same CORS job as corsgate: a map on $http_origin, preflights answered by nginx,
# actual requests proxied with ACAO set from the map, the upstream's own ACAO hidden.
worker_processes 1;
daemon off;
pid @DIR@/nginx.pid;
error_log @DIR@/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path @DIR@/body;
  proxy_temp_path @DIR@/proxy;
  fastcgi_temp_path @DIR@/fastcgi;
  uwsgi_temp_path @DIR@/uwsgi;
  scgi_temp_path @DIR@/scgi;
  map $http_origin $cors_allowed { default 0; "https://app.example.com" 1; }
  map $cors_allowed $cors_acao { default ""; 1 $http_origin; }
  map "$request_method:$cors_allowed:$http_access_control_request_method" $preflight {
    default "";
    "~^OPTIONS:1:(GET|HEAD|POST|PUT|DELETE)$" allow;
    "~^OPTIONS:.*:.+$" deny;
  }
  upstream api { server 127.0.0.1:@UPSTREAM@; keepalive 256; }
  server {
    listen 127.0.0.1:@PORT@ backlog=4096;
    location / {
      if ($preflight = "deny") { add_header Vary Origin always; return 403; }
      if ($preflight = "allow") {
        add_header Access-Control-Allow-Origin $http_origin always;
        add_header Access-Control-Allow-Credentials true always;
        add_header Access-Control-Allow-Methods $http_access_control_request_method always;
        add_header Access-Control-Max-Age 600 always;
        add_header Vary Origin always;
        return 204;
      }
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_hide_header Access-Control-Allow-Origin;
      add_header Access-Control-Allow-Origin $cors_acao;
      add_header Access-Control-Allow-Credentials true;
      add_header Vary Origin;
    }
  }
}
