from django.urls import path

from connecting.privacy import views

app_name = "privacy"

# Included at the site's root: "Download your data" sits with the other account pages.
urlpatterns = [
    path("account/my-data/", views.my_data, name="my_data"),
    path("privacy/people/", views.people, name="people"),
    path("privacy/people/<int:person_id>/anonymise/", views.anonymise, name="anonymise"),
]
