from ..models import Store
from .serializers import StoreSerializer
from .views import TenantModelViewSet


class StoreViewSet(TenantModelViewSet):
    """The tenant's stores (branches, departments)."""

    model = Store
    serializer_class = StoreSerializer
    read_capability = "stores.view"
    write_capability = "stores.edit"
