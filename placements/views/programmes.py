from django.http import HttpResponse


def programme_list(request):  # placeholder until this page is built
    return HttpResponse("")
