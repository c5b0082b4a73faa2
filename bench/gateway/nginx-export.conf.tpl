# nginx running `corsgate export nginx` (docs/nginx.md): the same nginx settings as
# nginx.conf.tpl, the CORS job done by the exported includes and their njs module.
load_module /usr/lib/nginx/modules/ngx_http_js_module.so;
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
  include @DIR@/corsgate-http.conf;
  server {
    listen 127.0.0.1:@PORT@ backlog=4096;
    include @DIR@/corsgate-server.conf;
  }
}
