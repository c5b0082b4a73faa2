# nginx proxying WebSockets with the same origin check as corsgate: a map on $http_origin, a
# refused handshake answered 403 by nginx, an allowed one (or none) proxied with Upgrade passed on.
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
  map $http_origin $origin_refused { default 1; "" 0; "https://app.example.com" 0; }
  upstream api { server 127.0.0.1:@UPSTREAM@; }
  server {
    listen 127.0.0.1:@PORT@ backlog=4096;
    location / {
      if ($origin_refused) { return 403; }
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout 60s;
    }
  }
}
