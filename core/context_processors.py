def tenant(request):
    return {
        "tenant": getattr(request, "tenant", None),
        "staff_role": getattr(request, "staff_role", None),
    }
