from django.http import HttpResponse


def opportunity_browse(request):  # placeholder until this page is built
    return HttpResponse("")
