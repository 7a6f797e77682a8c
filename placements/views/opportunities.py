from django.http import HttpResponse


def opportunity_list(request):  # placeholder until this page is built
    return HttpResponse("")
