-- wrk: send OPTIONS (a preflight) instead of GET.
wrk.method = "OPTIONS"
