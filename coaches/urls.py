from django.contrib.auth import views as auth_views
from django.urls import path

app_name = "coaches"

urlpatterns = [
    path(
        "anmelden/", auth_views.LoginView.as_view(template_name="coaches/login.html"), name="login"
    ),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
]
