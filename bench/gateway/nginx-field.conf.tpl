# The CORS configuration the field writes by hand (what `corsgate scan`'s zoo holds): an `if` on
# $http_origin with a regular expression, add_header always, preflights answered 204 whatever
# the origin asks. The same nginx settings as nginx.conf.tpl.
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
  upstream api { server 127.0.0.1:@UPSTREAM@; keepalive 256; }
  server {
    listen 127.0.0.1:@PORT@ backlog=4096;
    location / {
      set $cors_origin "";
      if ($http_origin ~ "^https://app\.example\.com$") { set $cors_origin $http_origin; }
      if ($request_method = OPTIONS) {
        add_header Access-Control-Allow-Origin $cors_origin always;
        add_header Access-Control-Allow-Credentials true always;
        add_header Access-Control-Allow-Methods "GET, POST, PUT, DELETE, OPTIONS" always;
        add_header Access-Control-Allow-Headers "Content-Type, Authorization" always;
        add_header Access-Control-Max-Age 600 always;
        add_header Vary Origin always;
        return 204;
      }
      add_header Access-Control-Allow-Origin $cors_origin always;
      add_header Access-Control-Allow-Credentials true always;
      add_header Vary Origin always;
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_hide_header Access-Control-Allow-Origin;
    }
  }
}
