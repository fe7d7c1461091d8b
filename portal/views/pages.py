"""The member's own pages. Each shows ``request.member``'s data only."""

from django.shortcuts import render

from ..access import member_view


@member_view
def home(request):
    return render(request, "portal/home.html", {"member": request.member})
