from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import Form, email_field
from .passwords import MAX_LENGTH, password_problem


class SignInForm(Form):
    email = email_field(required="Enter your email address", check_format=False)
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password"),
            Length(max=MAX_LENGTH, message="Enter your password"),
        ],
    )
    next = HiddenField()
    submit = SubmitField("Sign in")


class ResetRequestForm(Form):
    email = email_field(required="Enter your email address")
    submit = SubmitField("Send me a link")


class NewPasswordForm(Form):
    password = PasswordField(
        "New password",
        description="At least 12 characters. A phrase of three or four unrelated words works well.",
        validators=[DataRequired("Enter a new password")],
    )
    confirm = PasswordField(
        "Type the new password again", validators=[DataRequired("Type the new password again")]
    )
    submit = SubmitField("Save password")

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_confirm(self, field) -> None:
        if field.data != self.password.data:
            raise ValidationError("The passwords do not match")


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )


class SignOutForm(Form):
    submit = SubmitField("Sign out")


class NameForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])


class CodeForm(Form):
    code = StringField(
        "Code",
        description="The 6-digit code your authenticator app shows now, or one of your recovery "
        "codes.",
        validators=[
            DataRequired("Enter the code from your authenticator app"),
            Length(max=20, message="Enter the 6-digit code your authenticator app shows now"),
        ],
    )
    submit = SubmitField("Continue")


class SetUpForm(Form):
    code = StringField(
        "Code from your app",
        description="After adding the portal, your app shows a 6-digit code. Enter it here.",
        validators=[
            DataRequired("Enter the 6-digit code your app shows"),
            Length(max=20, message="Enter the 6-digit code your app shows"),
        ],
    )
    submit = SubmitField("Check the code and turn it on")


class ConfirmForm(Form):
    """A one-button action: the CSRF token is all it carries."""

    submit = SubmitField("Confirm")
