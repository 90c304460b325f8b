from django.urls import path

from xinkan.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("two-factor/setup/", views.two_factor_setup_view, name="two_factor_setup"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("", views.account_view, name="account"),
]
