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
