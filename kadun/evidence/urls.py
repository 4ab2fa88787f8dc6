from django.urls import path, re_path

from kadun.evidence import views_transparency as v

app_name = "transparency"
urlpatterns = [
    path("", v.page, name="page"),
    path("keys.json", v.keys, name="keys"),
    path("heads/latest.json", v.head_latest, name="head_latest"),
    path("heads/", v.heads, name="heads"),
    re_path(r"^heads/(?P<size>[^/]+)\.json$", v.head_of_size, name="head"),
    re_path(r"^proof/inclusion/(?P<entry_id>[^/]+)\.json$", v.proof_inclusion, name="proof_inclusion"),
    path("proof/consistency.json", v.proof_consistency, name="proof_consistency"),
    re_path(r"^entries/(?P<entry_id>[^/]+)\.json$", v.entry, name="entry"),
    path("leaves.json", v.leaves, name="leaves"),
]
