from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

app_name = "core"

urlpatterns = [
    # The published contract: staff only (the schema view keeps DRF's session auth and IsAuthenticated).
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="core:api_schema")), name="api_docs"),
]
